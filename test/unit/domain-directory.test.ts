// The Resource Directory vocabulary of the domain: target kinds, per-target rows of holdings, whether
// an image is held, folder containment, and the per-invocation lookup cache.
import { describe, expect, it } from 'vitest';
import {
  type DirectoryHolding,
  DirectoryLookupCache,
  type ResolvedTarget,
  directorySharesOf,
  directoryTargetKind,
  holdsImage,
  isInFolder,
  serviceShareName,
} from '../../shared/domain/directory.js';

const holding = (overrides: Partial<DirectoryHolding> = {}): DirectoryHolding => ({
  resourceShareId: 'rs-first00001',
  resourceShareName: 'first',
  owner: 'other',
  status: 'associated',
  targets: [],
  ...overrides,
});

describe('directoryTargetKind', () => {
  it.each([
    ['rd-abc123', 'directory'],
    ['fd-0123456789', 'folder'],
    ['0123456789012345', 'account'],
    ['r-abc123', undefined],
    ['fd-', undefined],
    ['123456789012345', undefined],
    ['rd-has space', undefined],
  ])('reads %s as %s', (target, kind) => {
    expect(directoryTargetKind(target)).toBe(kind);
  });
});

describe('directorySharesOf', () => {
  it('gives one row per target of every holding, the two associations combined', () => {
    // Prepare
    const holdings = [
      holding({ targets: [{ target: 'fd-a', status: 'associated' }, { target: 'rd-x', status: 'associating' }] }),
      holding({
        resourceShareId: 'rs-second0001',
        resourceShareName: 'isg-m-1',
        owner: 'service',
        status: 'disassociating',
        targets: [{ target: 'fd-b', status: 'associated' }],
      }),
      holding({ resourceShareId: 'rs-third00001', status: 'associating', targets: [{ target: 'fd-c', status: 'failed' }] }),
      holding({ resourceShareId: 'rs-empty00001', targets: [] }),
    ];

    // Act
    const rows = directorySharesOf(holdings);

    // Assess
    expect(rows).toEqual([
      { resourceShareId: 'rs-first00001', resourceShareName: 'first', owner: 'other', target: 'fd-a', status: 'associated' },
      { resourceShareId: 'rs-first00001', resourceShareName: 'first', owner: 'other', target: 'rd-x', status: 'associating' },
      { resourceShareId: 'rs-second0001', resourceShareName: 'isg-m-1', owner: 'service', target: 'fd-b', status: 'disassociating' },
      { resourceShareId: 'rs-third00001', resourceShareName: 'first', owner: 'other', target: 'fd-c', status: 'failed' },
    ]);
  });
});

describe('holdsImage', () => {
  it('is true while any share holds the image, targets or not, unless its association failed', () => {
    expect(holdsImage([])).toBe(false);
    expect(holdsImage([holding({ status: 'failed' })])).toBe(false);
    expect(holdsImage([holding({ status: 'failed' }), holding({ status: 'disassociating' })])).toBe(true);
    expect(holdsImage([holding({ targets: [] })])).toBe(true);
  });
});

describe('isInFolder', () => {
  const member: ResolvedTarget = { kind: 'account', target: '0000000000000001', member: true, directoryId: 'rd-x', folderPath: ['r-root', 'fd-a', 'fd-b'] };

  it('finds a folder anywhere on the path, the own folder included, and nothing for targets without one', () => {
    expect([isInFolder(member, 'fd-a'), isInFolder(member, 'fd-b'), isInFolder(member, 'fd-c')]).toEqual([true, true, false]);
    expect(isInFolder({ kind: 'account', target: '0000000000000002', member: false }, 'fd-a')).toBe(false);
    expect(isInFolder({ kind: 'directory', target: 'rd-x', directoryId: 'rd-x' }, 'fd-a')).toBe(false);
  });
});

describe('serviceShareName', () => {
  it('fits the longest image id within the 50-character share name limit', () => {
    expect(serviceShareName(`m-${'a'.repeat(40)}`)).toHaveLength(46);
  });
});

describe('DirectoryLookupCache', () => {
  it('loads a key once for concurrent and later callers', async () => {
    // Prepare
    const cache = new DirectoryLookupCache();
    let loads = 0;
    const load = async () => {
      loads += 1;
      return { loads };
    };

    // Act
    const [first, second] = await Promise.all([cache.remember('account:1', load), cache.remember('account:1', load)]);
    const third = await cache.remember('account:1', load);
    const other = await cache.remember('account:2', load);

    // Assess
    expect([first, second, third]).toEqual([{ loads: 1 }, { loads: 1 }, { loads: 1 }]);
    expect(other).toEqual({ loads: 2 });
  });

  it('forgets a failed load, so the next caller loads again', async () => {
    // Prepare
    const cache = new DirectoryLookupCache();
    let attempts = 0;
    const flaky = async () => {
      attempts += 1;
      if (attempts === 1) throw new Error('unavailable');
      return 'loaded';
    };

    // Act
    const failure = await cache.remember('folder:fd-a', flaky).catch((error: Error) => error.message);
    const retry = await cache.remember('folder:fd-a', flaky);

    // Assess
    expect([failure, retry, attempts]).toEqual(['unavailable', 'loaded', 2]);
  });
});

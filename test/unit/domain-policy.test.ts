// The policy rules in shared/domain/policy.ts that every layer shares.
import { describe, expect, it } from 'vitest';
import { checkManagedRegion, isManagedRegion } from '../../shared/domain/policy.js';
import { testPolicy } from '../support/policy.js';
import { failure } from '../support/domain.js';

describe('policy: managed regions', () => {
  const policy = testPolicy({ regions: ['cn-hangzhou', 'cn-shanghai'] });

  it('manages exactly the configured regions', () => {
    expect(['cn-hangzhou', 'cn-shanghai', 'cn-beijing', 'CN-HANGZHOU', ''].map((r) => isManagedRegion(policy, r))).toEqual([
      true,
      true,
      false,
      false,
      false,
    ]);
  });

  it('refuses any other region with RegionNotManaged (404), naming it', async () => {
    expect(() => checkManagedRegion(policy, 'cn-hangzhou')).not.toThrow();
    const error = await failure(Promise.resolve().then(() => checkManagedRegion(policy, 'eu-central-1')));
    expect([error.code, error.status, error.message, error.details]).toEqual([
      'RegionNotManaged',
      404,
      'Region eu-central-1 is not managed by this service',
      { regionId: 'eu-central-1' },
    ]);
  });
});

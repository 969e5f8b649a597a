/**
 * The admin routes of the Resource Directory products: every refused body answers 400 (409 for a
 * conflict, 404 for an unknown member) with a message and changes nothing; reset forgets it all.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { rpcCaller, sdkErrorOf } from '../support/ecs.js';
import {
  DEV_MEMBER,
  DIRECTORY,
  DIRECTORY_ID,
  type DirectoryStack,
  FOLDERS,
  MANAGEMENT,
  OUTSIDER,
  REGION,
  WEB_MEMBER,
  ownImage,
  startDirectoryStack,
} from '../support/directory.js';

let stack: DirectoryStack;

beforeEach(async () => {
  stack = await startDirectoryStack({ associationDelayMs: 0 });
});

afterEach(async () => {
  await stack.emulator.close();
});

async function raw(method: string, path: string, body?: unknown): Promise<{ status: number; body: unknown }> {
  const response = await fetch(`http://${stack.emulator.endpoint}/__emulator${path}`, {
    method,
    headers: { 'content-type': 'application/json' },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, body: text ? (JSON.parse(text) as unknown) : undefined };
}

/** What the directory looks like to its management account: every member's path. */
async function directoryView(): Promise<unknown> {
  const body = await rpcCaller(stack.emulator.endpoint, 'ResourceManager', MANAGEMENT.key).call('ListAccounts', { PageSize: 100 });
  return (body['Accounts'] as { Account: Array<Record<string, unknown>> }).Account.map((account) => account['ResourceDirectoryPath']);
}

const shares = async () =>
  ((await rpcCaller(stack.emulator.endpoint, 'ResourceSharing', MANAGEMENT.key).call('ListResourceShares', { RegionId: REGION, ResourceOwner: 'Self' }))[
    'ResourceShares'
  ] as unknown[]).length;

describe('Resource directory admin route', () => {
  it.each([
    ['an unshaped directory id', { ...DIRECTORY, directoryId: 'dir-1' }, 'directoryId'],
    ['an unregistered management account', { ...DIRECTORY, managementAccountId: '1999999999999999' }, 'management account 1999999999999999 is not registered'],
    ['an unregistered member', { ...DIRECTORY, members: [{ accountId: '1999999999999998', folderId: null }] }, 'is not a registered account'],
    ['a member twice', { ...DIRECTORY, members: [{ accountId: WEB_MEMBER.accountId }, { accountId: WEB_MEMBER.accountId }] }, 'listed twice'],
    ['a member in an unknown folder', { ...DIRECTORY, members: [{ accountId: WEB_MEMBER.accountId, folderId: 'fd-nowhere01' }] }, 'unknown folder'],
    ['a folder twice', { ...DIRECTORY, folders: [{ folderId: FOLDERS.prod, name: 'a' }, { folderId: FOLDERS.prod, name: 'b' }] }, 'listed twice'],
    ['a folder under an unknown parent', { ...DIRECTORY, folders: [{ folderId: FOLDERS.prod, parentFolderId: 'fd-nowhere01', name: 'a' }] }, 'unknown parent'],
    [
      'folders in a cycle',
      { ...DIRECTORY, members: [], folders: [{ folderId: 'fd-aaa', parentFolderId: 'fd-bbb', name: 'a' }, { folderId: 'fd-bbb', parentFolderId: 'fd-aaa', name: 'b' }] },
      'its own ancestor',
    ],
    ['an unknown field', { ...DIRECTORY, owner: MANAGEMENT.accountId }, 'owner'],
    ['a folder without a name', { ...DIRECTORY, folders: [{ folderId: FOLDERS.prod }] }, 'name'],
    ['no body', undefined, 'request body is required'],
    ['broken JSON', '{"directoryId":', 'not valid JSON'],
  ])('refuses %s with 400 and keeps the directory as it was', async (_name, body, message) => {
    // Prepare
    const before = await directoryView();

    // Act
    const answer = await raw('POST', '/resource-directory', body);

    // Assess
    expect(answer.status).toBe(400);
    expect((answer.body as { error: string }).error).toContain(message);
    expect(await directoryView()).toEqual(before);
  });

  it('replaces the directory when posted again, keeping the root folder id unless one is given', async () => {
    // Act
    const rootAgain = await stack.admin.putResourceDirectory({ ...DIRECTORY, members: [] });
    const view = await directoryView();
    const rootGiven = await stack.admin.putResourceDirectory({ ...DIRECTORY, rootFolderId: 'r-given1' });

    // Assess
    expect(rootAgain).toBe(stack.rootFolderId);
    expect(view).toEqual([`${DIRECTORY_ID}/${stack.rootFolderId}/${MANAGEMENT.accountId}`]);
    expect(rootGiven).toBe('r-given1');
  });

  it('moves and removes members, refusing unknown ones and the management account', async () => {
    // Act
    const unknown = await raw('PATCH', `/resource-directory/members/${OUTSIDER.accountId}`, { folderId: FOLDERS.dev });
    const badFolder = await raw('PATCH', `/resource-directory/members/${WEB_MEMBER.accountId}`, { folderId: 'fd-nowhere01' });
    const badBody = await raw('PATCH', `/resource-directory/members/${WEB_MEMBER.accountId}`, { folder: FOLDERS.dev });
    const management = await raw('DELETE', `/resource-directory/members/${MANAGEMENT.accountId}`);
    const notMember = await raw('DELETE', `/resource-directory/members/${OUTSIDER.accountId}`);
    const unchanged = await directoryView();
    const moved = await raw('PATCH', `/resource-directory/members/${WEB_MEMBER.accountId}`, { folderId: null });
    const removed = await raw('DELETE', `/resource-directory/members/${DEV_MEMBER.accountId}`);

    // Assess
    expect([unknown.status, badFolder.status, badBody.status, management.status, notMember.status]).toEqual([404, 404, 400, 409, 404]);
    expect(unchanged).toHaveLength(3);
    expect(moved).toEqual({ status: 200, body: { accountId: WEB_MEMBER.accountId, folderId: stack.rootFolderId } });
    expect(removed.status).toBe(204);
    expect(await directoryView()).toEqual([
      `${DIRECTORY_ID}/${stack.rootFolderId}/${WEB_MEMBER.accountId}`,
      `${DIRECTORY_ID}/${stack.rootFolderId}/${MANAGEMENT.accountId}`,
    ]);
  });
});

describe('Resource shares admin route', () => {
  it('creates a share as the console would, Active with its associations settled', async () => {
    // Prepare
    const imageId = await ownImage(stack.admin);

    // Act
    const answer = await raw('POST', '/resource-shares', {
      ownerAccountId: MANAGEMENT.accountId,
      regionId: REGION,
      name: 'console-made',
      resources: [{ resourceType: 'Image', resourceId: imageId }],
      targets: [FOLDERS.prod, DIRECTORY_ID],
    });
    const listed = await rpcCaller(stack.emulator.endpoint, 'ResourceSharing', MANAGEMENT.key).call('ListResourceShareAssociations', {
      RegionId: REGION,
      AssociationType: 'Target',
    });

    // Assess
    expect(answer.status).toBe(201);
    expect(answer.body).toEqual({ resourceShareId: expect.stringMatching(/^rs-/) });
    expect((listed['ResourceShareAssociations'] as Array<Record<string, unknown>>).map((row) => [row['EntityId'], row['AssociationStatus']])).toEqual([
      [FOLDERS.prod, 'Associated'],
      [DIRECTORY_ID, 'Associated'],
    ]);
  });

  type Images = { own: string; outsiders: string };
  const image = (resourceId: string) => ({ resourceType: 'Image', resourceId });

  it.each([
    ['an unregistered owner', () => ({ ownerAccountId: '1999999999999999' }), 400, 'not registered'],
    ['an image of another account', (ids: Images) => ({ resources: [image(ids.outsiders)] }), 400, 'is not a custom image of'],
    ['an unknown image', () => ({ resources: [image('m-unknown00001')] }), 400, 'is not a custom image of'],
    ['an image twice', (ids: Images) => ({ resources: [image(ids.own), image(ids.own)] }), 400, 'listed twice'],
    ['a VSwitch', () => ({ resources: [{ resourceType: 'VSwitch', resourceId: 'vsw-1' }] }), 400, 'resourceType'],
    ['an unknown folder', () => ({ targets: ['fd-nowhere01'] }), 400, 'is not in the resource directory'],
    ['another directory', () => ({ targets: ['rd-other1'] }), 400, 'is not in the resource directory'],
    ['an outside account without allowExternalTargets', () => ({ targets: [OUTSIDER.accountId] }), 400, 'allowExternalTargets is false'],
    ['the owner as a target', () => ({ targets: [MANAGEMENT.accountId] }), 400, 'the owner itself'],
    ['a target twice', () => ({ targets: [FOLDERS.dev, FOLDERS.dev] }), 400, 'duplicate'],
    ['a malformed target', () => ({ targets: ['everyone'] }), 400, 'targets'],
    ['no targets field', () => ({ targets: undefined }), 400, 'targets'],
    ['a name with a space', () => ({ name: 'two words' }), 400, 'name'],
  ] as const)('refuses %s and creates nothing', async (_name, change, status, message) => {
    // Prepare
    const ids = { own: await ownImage(stack.admin), outsiders: await stack.admin.addImage({ ownerAccountId: OUTSIDER.accountId, regionId: REGION }) };
    const body = { ownerAccountId: MANAGEMENT.accountId, regionId: REGION, resources: [image(ids.own)], targets: [FOLDERS.dev], ...change(ids) };

    // Act
    const answer = await raw('POST', '/resource-shares', body);

    // Assess
    expect(answer.status).toBe(status);
    expect((answer.body as { error: string }).error).toContain(message);
    expect(await shares()).toBe(0);
  });

  it('refuses directory targets while sharing is not enabled, and a name in use, with 409', async () => {
    // Prepare
    await raw('POST', '/resource-shares', { ownerAccountId: MANAGEMENT.accountId, regionId: REGION, name: 'taken', resources: [], targets: [] });
    await stack.admin.putResourceDirectory({ ...DIRECTORY, sharingEnabled: false });

    // Act
    const disabled = await raw('POST', '/resource-shares', { ownerAccountId: MANAGEMENT.accountId, regionId: REGION, resources: [], targets: [FOLDERS.dev] });
    const taken = await raw('POST', '/resource-shares', { ownerAccountId: MANAGEMENT.accountId, regionId: REGION, name: 'taken', resources: [], targets: [] });

    // Assess
    expect([disabled.status, taken.status]).toEqual([409, 409]);
    expect(await shares()).toBe(1);
  });
});

describe('Resource sharing settings and roles admin routes', () => {
  it.each([
    ['PUT', '/resource-sharing', {}, 'fewer than 1 properties'],
    ['PUT', '/resource-sharing', { associationDelayMs: -1 }, 'associationDelayMs'],
    ['PUT', '/resource-sharing', { failures: [{ entityId: FOLDERS.dev, reason: 'Bored' }] }, 'reason'],
    ['POST', '/roles', { accountId: MANAGEMENT.accountId, roleName: 'reader', trustedAccountIds: [] }, 'trustedAccountIds'],
    ['POST', '/roles', { accountId: MANAGEMENT.accountId, roleName: 'reader', trustedAccountIds: ['1999999999999999'] }, 'not registered'],
    ['POST', '/roles', { accountId: MANAGEMENT.accountId, roleName: 'a role', trustedAccountIds: [WEB_MEMBER.accountId] }, 'roleName'],
  ])('%s %s refuses %j', async (method, path, body, message) => {
    // Act
    const answer = await raw(method, path, body);

    // Assess
    expect(answer.status).toBe(400);
    expect((answer.body as { error: string }).error).toContain(message);
  });

  it('answers the settings in force', async () => {
    // Act
    const answer = await raw('PUT', '/resource-sharing', { associationDelayMs: 25, failures: [{ entityId: FOLDERS.dev, reason: 'LimitExceeded' }] });

    // Assess
    expect(answer).toEqual({ status: 200, body: { associationDelayMs: 25, failures: [{ entityId: FOLDERS.dev, reason: 'LimitExceeded' }] } });
  });

  it('forgets the directory, shares, roles and settings on reset', async () => {
    // Prepare
    await stack.admin.configureResourceSharing({ associationDelayMs: 5_000 });
    await stack.admin.addResourceShare({ ownerAccountId: MANAGEMENT.accountId, regionId: REGION, resources: [], targets: [FOLDERS.dev] });
    const roleArn = await stack.admin.addRole({ accountId: MANAGEMENT.accountId, roleName: 'reader', trustedAccountIds: [MANAGEMENT.accountId] });

    // Act
    await stack.admin.reset();
    await stack.admin.addAccount(MANAGEMENT.accountId, [MANAGEMENT.key]);
    const directory = await sdkErrorOf(rpcCaller(stack.emulator.endpoint, 'ResourceManager', MANAGEMENT.key).call('GetResourceDirectory'));
    const role = await sdkErrorOf(rpcCaller(stack.emulator.endpoint, 'Sts', MANAGEMENT.key).call('AssumeRole', { RoleArn: roleArn, RoleSessionName: 'after-reset' }));
    const settings = await raw('PUT', '/resource-sharing', { failures: [] });

    // Assess
    expect(directory.code).toBe('ResourceDirectoryNotInUse');
    expect(role.code).toBe('EntityNotExist.Role');
    expect(await shares()).toBe(0);
    expect(settings.body).toEqual({ associationDelayMs: 0, failures: [] });
  });
});

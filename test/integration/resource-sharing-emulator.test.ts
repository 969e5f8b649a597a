/**
 * The emulated Resource Sharing API (2020-01-10) driven by the real `@alicloud/openapi-core` client
 * over HTTP: the eight operations, asynchronous associations on the emulator clock, the per-call caps,
 * NextToken paging and the documented error codes.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type RpcCaller, rpcCaller, sdkErrorOf } from '../support/ecs.js';
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
let owner: RpcCaller;

beforeEach(async () => {
  stack = await startDirectoryStack({ associationDelayMs: 50 });
  owner = rpcCaller(stack.emulator.endpoint, 'ResourceSharing', MANAGEMENT.key);
});

afterEach(async () => {
  await stack.emulator.close();
});

const as = (key: typeof MANAGEMENT, signing: 'acs3' | 'v2' = 'acs3') => rpcCaller(stack.emulator.endpoint, 'ResourceSharing', key.key, { signing });
const image = (resourceId: string) => ({ ResourceType: 'Image', ResourceId: resourceId });

async function createShare(caller: RpcCaller, query: Record<string, unknown>): Promise<string> {
  const body = await caller.call('CreateResourceShare', { RegionId: REGION, ...query });
  return (body['ResourceShare'] as { ResourceShareId: string }).ResourceShareId;
}

type Row = Record<string, unknown>;

async function associations(caller: RpcCaller, query: Record<string, unknown>): Promise<Row[]> {
  const body = await caller.call('ListResourceShareAssociations', { RegionId: REGION, ...query });
  return body['ResourceShareAssociations'] as Row[];
}

const statuses = (rows: Row[]) => rows.map((row) => [row['EntityId'], row['AssociationStatus']]);

describe.each(['acs3', 'v2'] as const)('Resource Sharing emulator: a share through the SDK (%s signing)', (signing) => {
  it('creates an Active share whose image and target associate asynchronously, on the emulator clock', async () => {
    // Prepare
    const imageId = await ownImage(stack.admin);
    const caller = as(MANAGEMENT, signing);
    const createdAt = stack.clock.now().toISOString();

    // Act
    const created = await caller.call('CreateResourceShare', {
      RegionId: REGION,
      ResourceShareName: 'golden-images',
      Resources: [image(imageId)],
      Targets: [FOLDERS.prod],
      Tag: [{ Key: 'team', Value: 'platform' }],
    });
    const shareId = (created['ResourceShare'] as { ResourceShareId: string }).ResourceShareId;
    const during = [...(await associations(caller, { AssociationType: 'Resource' })), ...(await associations(caller, { AssociationType: 'Target' }))];
    stack.clock.advance(50);
    const after = [...(await associations(caller, { AssociationType: 'Resource' })), ...(await associations(caller, { AssociationType: 'Target' }))];

    // Assess
    expect(created['ResourceShare']).toEqual({
      ResourceShareId: shareId,
      ResourceShareName: 'golden-images',
      ResourceShareOwner: MANAGEMENT.accountId,
      ResourceShareStatus: 'Active',
      AllowExternalTargets: false,
      CreateTime: createdAt,
      UpdateTime: createdAt,
    });
    expect(shareId).toMatch(/^rs-[A-Za-z0-9]{10}$/);
    expect(statuses(during)).toEqual([
      [imageId, 'Associating'],
      [FOLDERS.prod, 'Associating'],
    ]);
    expect(statuses(after)).toEqual([
      [imageId, 'Associated'],
      [FOLDERS.prod, 'Associated'],
    ]);
    expect(after[1]).toEqual({
      ResourceShareId: shareId,
      ResourceShareName: 'golden-images',
      AssociationType: 'Target',
      AssociationStatus: 'Associated',
      AssociationStatusMessage: '',
      EntityId: FOLDERS.prod,
      EntityType: 'Folder',
      ResourceArn: '',
      TargetProperty: '',
      ResourceProperty: '',
      CreateTime: expect.any(String),
      UpdateTime: expect.any(String),
      External: false,
      AssociationFailedDetails: [],
    });
    expect(after[0]).toMatchObject({ EntityType: 'Image', ResourceArn: `acs:ecs:${REGION}:${MANAGEMENT.accountId}:image/${imageId}` });
  });

  it('associates and disassociates targets of an existing share', async () => {
    // Prepare
    await stack.admin.configureResourceSharing({ associationDelayMs: 0 });
    const imageId = await ownImage(stack.admin);
    const caller = as(MANAGEMENT, signing);
    const shareId = await createShare(caller, { ResourceShareName: 'web', Resources: [image(imageId)], Targets: [FOLDERS.web] });

    // Act
    const associated = await caller.call('AssociateResourceShare', { RegionId: REGION, ResourceShareId: shareId, Targets: [DEV_MEMBER.accountId, DIRECTORY_ID] });
    const between = await associations(caller, { AssociationType: 'Target' });
    const disassociated = await caller.call('DisassociateResourceShare', { RegionId: REGION, ResourceShareId: shareId, Targets: [FOLDERS.web] });
    const after = await associations(caller, { AssociationType: 'Target' });

    // Assess
    expect(statuses(associated['ResourceShareAssociations'] as Row[])).toEqual([
      [DEV_MEMBER.accountId, 'Associating'],
      [DIRECTORY_ID, 'Associating'],
    ]);
    expect((associated['ResourceShareAssociations'] as Row[]).map((row) => row['EntityType'])).toEqual(['Account', 'ResourceDirectory']);
    expect(statuses(between)).toEqual([
      [FOLDERS.web, 'Associated'],
      [DEV_MEMBER.accountId, 'Associated'],
      [DIRECTORY_ID, 'Associated'],
    ]);
    expect(statuses(disassociated['ResourceShareAssociations'] as Row[])).toEqual([[FOLDERS.web, 'Disassociating']]);
    expect(statuses(after)).toEqual([
      [FOLDERS.web, 'Disassociated'],
      [DEV_MEMBER.accountId, 'Associated'],
      [DIRECTORY_ID, 'Associated'],
    ]);
  });
});

describe('Resource Sharing emulator: listing', () => {
  it('lists own shares (Self) with filters, and the shares that reach a member (OtherAccounts)', async () => {
    // Prepare
    await stack.admin.configureResourceSharing({ associationDelayMs: 0 });
    const imageId = await ownImage(stack.admin);
    const prod = await createShare(owner, { ResourceShareName: 'prod', Resources: [image(imageId)], Targets: [FOLDERS.prod], Tag: [{ Key: 'env', Value: 'prod' }] });
    const dev = await createShare(owner, { ResourceShareName: 'dev', Resources: [image(imageId)], Targets: [FOLDERS.dev] });
    const gone = await createShare(owner, { ResourceShareName: 'gone', Targets: [FOLDERS.dev] });
    await owner.call('DeleteResourceShare', { RegionId: REGION, ResourceShareId: gone });
    const ids = async (caller: RpcCaller, query: Record<string, unknown>) =>
      ((await caller.call('ListResourceShares', { RegionId: REGION, ...query }))['ResourceShares'] as Row[]).map((row) => row['ResourceShareId']);

    // Act
    const all = await ids(owner, { ResourceOwner: 'Self' });
    const byName = await ids(owner, { ResourceOwner: 'Self', ResourceShareName: 'dev' });
    const byTag = await ids(owner, { ResourceOwner: 'Self', Tag: [{ Key: 'env', Value: 'prod' }] });
    const deleted = await ids(owner, { ResourceOwner: 'Self', ResourceShareStatus: 'Deleted' });
    const byIds = await ids(owner, { ResourceOwner: 'Self', ResourceShareIds: [dev, gone] });
    const reachingWeb = await ids(as(WEB_MEMBER), { ResourceOwner: 'OtherAccounts' });
    const reachingOutsider = await ids(as(OUTSIDER), { ResourceOwner: 'OtherAccounts' });

    // Assess
    expect(all).toEqual([prod, dev, gone]);
    expect(byName).toEqual([dev]);
    expect(byTag).toEqual([prod]);
    expect(deleted).toEqual([gone]);
    expect(byIds).toEqual([dev, gone]);
    expect(reachingWeb).toEqual([prod]);
    expect(reachingOutsider).toEqual([]);
  });

  it('lists shared resources and targets for the owner and for the member they reach', async () => {
    // Prepare
    await stack.admin.configureResourceSharing({ associationDelayMs: 0 });
    const first = await ownImage(stack.admin);
    const second = await ownImage(stack.admin);
    const shareId = await createShare(owner, { ResourceShareName: 'both', Resources: [image(first), image(second)], Targets: [FOLDERS.prod, DEV_MEMBER.accountId] });
    const resources = async (caller: RpcCaller, query: Record<string, unknown>) =>
      (await caller.call('ListSharedResources', { RegionId: REGION, ...query }))['SharedResources'] as Row[];
    const targets = async (caller: RpcCaller, query: Record<string, unknown>) =>
      (await caller.call('ListSharedTargets', { RegionId: REGION, ...query }))['SharedTargets'] as Row[];

    // Act
    const ownResources = await resources(owner, { ResourceOwner: 'Self', ResourceType: 'Image' });
    const oneResource = await resources(owner, { ResourceOwner: 'Self', ResourceIds: [second] });
    const forTarget = await resources(owner, { ResourceOwner: 'Self', Target: DEV_MEMBER.accountId });
    const sharedWithWeb = await resources(as(WEB_MEMBER), { ResourceOwner: 'OtherAccounts', Target: MANAGEMENT.accountId });
    const ownTargets = await targets(owner, { ResourceOwner: 'Self', ResourceId: first });
    const narrowed = await targets(owner, { ResourceOwner: 'Self', Targets: [FOLDERS.prod] });
    const targetsOfDev = await targets(as(DEV_MEMBER), { ResourceOwner: 'OtherAccounts' });

    // Assess
    expect(ownResources.map((row) => row['ResourceId'])).toEqual([first, second]);
    expect(ownResources[0]).toEqual({
      ResourceShareId: shareId,
      ResourceId: first,
      ResourceType: 'Image',
      ResourceArn: `acs:ecs:${REGION}:${MANAGEMENT.accountId}:image/${first}`,
      CreateTime: expect.any(String),
      UpdateTime: expect.any(String),
    });
    expect(oneResource.map((row) => row['ResourceId'])).toEqual([second]);
    expect(forTarget.map((row) => row['ResourceId'])).toEqual([first, second]);
    expect(sharedWithWeb.map((row) => [row['ResourceId'], row['ResourceStatus']])).toEqual([
      [first, 'Available'],
      [second, 'Available'],
    ]);
    expect(ownTargets).toEqual([
      { ResourceShareId: shareId, TargetId: FOLDERS.prod, External: false, TargetProperty: '', CreateTime: expect.any(String), UpdateTime: expect.any(String) },
      { ResourceShareId: shareId, TargetId: DEV_MEMBER.accountId, External: false, TargetProperty: '', CreateTime: expect.any(String), UpdateTime: expect.any(String) },
    ]);
    expect(narrowed.map((row) => row['TargetId'])).toEqual([FOLDERS.prod]);
    expect(targetsOfDev.map((row) => row['TargetId'])).toEqual([DEV_MEMBER.accountId]);
  });

  it('pages with NextToken (MaxResults 1..100, default 20) and refuses a token of another query', async () => {
    // Prepare
    for (let n = 1; n <= 23; n += 1) await createShare(owner, { ResourceShareName: `share-${n}` });
    const page = (query: Record<string, unknown>) => owner.call('ListResourceShares', { RegionId: REGION, ResourceOwner: 'Self', ...query });
    const names = (body: Record<string, unknown>) => (body['ResourceShares'] as Row[]).map((row) => row['ResourceShareName']);

    // Act
    const first = await page({});
    const second = await page({ NextToken: first['NextToken'] });
    const small = await page({ MaxResults: 10 });
    const smallNext = await page({ MaxResults: 10, NextToken: small['NextToken'] });
    const foreign = await sdkErrorOf(page({ ResourceShareStatus: 'Active', NextToken: first['NextToken'] }));

    // Assess
    expect(names(first)).toEqual(Array.from({ length: 20 }, (_, i) => `share-${i + 1}`));
    expect(first['NextToken']).toEqual(expect.any(String));
    expect(names(second)).toEqual(['share-21', 'share-22', 'share-23']);
    expect(second).not.toHaveProperty('NextToken');
    expect(names(small)).toHaveLength(10);
    expect(names(smallNext)).toEqual(Array.from({ length: 10 }, (_, i) => `share-${i + 11}`));
    expect(foreign).toEqual({ name: 'ClientError', code: 'InvalidParameter.NextToken', statusCode: 400 });
  });

  it('keeps Failed and Disassociated records, with the failure details', async () => {
    // Prepare: a target that fails to associate (LimitExceeded), and an image that is not the caller's
    await stack.admin.configureResourceSharing({ associationDelayMs: 0, failures: [{ entityId: FOLDERS.dev, reason: 'LimitExceeded' }] });
    const foreign = await stack.admin.addImage({ ownerAccountId: OUTSIDER.accountId, regionId: REGION });
    const shareId = await createShare(owner, { ResourceShareName: 'failing', Resources: [image(foreign)], Targets: [FOLDERS.dev, FOLDERS.prod] });

    // Act
    const resources = await associations(owner, { AssociationType: 'Resource', ResourceShareIds: [shareId] });
    const failedTargets = await associations(owner, { AssociationType: 'Target', AssociationStatus: 'Failed' });

    // Assess
    expect(resources).toEqual([
      expect.objectContaining({
        EntityId: foreign,
        AssociationStatus: 'Failed',
        AssociationStatusMessage: 'The entity is unavailable.',
        AssociationFailedDetails: [
          {
            EntityId: foreign,
            EntityType: 'Image',
            FailureReason: 'Unavailable',
            FailureDescription: 'The entity is unavailable.',
            OperationType: 'Associate',
            ResourceArn: `acs:ecs:${REGION}:${MANAGEMENT.accountId}:image/${foreign}`,
          },
        ],
      }),
    ]);
    expect(failedTargets.map((row) => [row['EntityId'], (row['AssociationFailedDetails'] as Row[])[0]?.['FailureReason']])).toEqual([
      [FOLDERS.dev, 'LimitExceeded'],
    ]);
  });

  it('lists the shares holding one image with AssociationType=Resource and ResourceId', async () => {
    // Prepare
    await stack.admin.configureResourceSharing({ associationDelayMs: 0 });
    const wanted = await ownImage(stack.admin);
    const other = await ownImage(stack.admin);
    const first = await createShare(owner, { ResourceShareName: 'a', Resources: [image(wanted), image(other)] });
    await createShare(owner, { ResourceShareName: 'b', Resources: [image(other)] });
    const third = await createShare(owner, { ResourceShareName: 'c', Resources: [image(wanted)] });

    // Act
    const rows = await associations(owner, { AssociationType: 'Resource', ResourceId: wanted });
    const ofOthers = await associations(as(WEB_MEMBER), { AssociationType: 'Resource', ResourceId: wanted });

    // Assess
    expect(rows.map((row) => row['ResourceShareId'])).toEqual([first, third]);
    expect(ofOthers).toEqual([]);
  });
});

describe('Resource Sharing emulator: share lifecycle', () => {
  it('deletes a share: Deleting with its associations Disassociating, then Deleted, still listed', async () => {
    // Prepare
    const imageId = await ownImage(stack.admin);
    const shareId = await createShare(owner, { ResourceShareName: 'short-lived', Resources: [image(imageId)], Targets: [FOLDERS.prod] });
    stack.clock.advance(50);
    const statusOf = async () =>
      ((await owner.call('ListResourceShares', { RegionId: REGION, ResourceOwner: 'Self' }))['ResourceShares'] as Row[])[0]?.['ResourceShareStatus'];

    // Act
    await owner.call('DeleteResourceShare', { RegionId: REGION, ResourceShareId: shareId });
    const during = [await statusOf(), statuses(await associations(owner, { AssociationType: 'Target' }))];
    const again = await sdkErrorOf(owner.call('DeleteResourceShare', { RegionId: REGION, ResourceShareId: shareId }));
    stack.clock.advance(50);
    const after = [await statusOf(), statuses(await associations(owner, { AssociationType: 'Target' }))];
    const associate = await sdkErrorOf(owner.call('AssociateResourceShare', { RegionId: REGION, ResourceShareId: shareId, Targets: [FOLDERS.dev] }));

    // Assess
    expect(during).toEqual(['Deleting', [[FOLDERS.prod, 'Disassociating']]]);
    expect(again).toEqual({ name: 'ClientError', code: 'ResourceShareStatusMismatchAction', statusCode: 409 });
    expect(after).toEqual(['Deleted', [[FOLDERS.prod, 'Disassociated']]]);
    expect(associate.code).toBe('ResourceShareStatusMismatchAction');
  });

  it('refuses to disassociate what is settling or not associated, and to associate what is being disassociated', async () => {
    // Prepare
    const shareId = await createShare(owner, { ResourceShareName: 'settling', Targets: [FOLDERS.prod] });
    const call = (action: string, query: Record<string, unknown>) => sdkErrorOf(owner.call(action, { RegionId: REGION, ResourceShareId: shareId, ...query }));

    // Act
    const whileAssociating = await call('DisassociateResourceShare', { Targets: [FOLDERS.prod] });
    stack.clock.advance(50);
    const neverAssociated = await call('DisassociateResourceShare', { Targets: [FOLDERS.dev] });
    await owner.call('DisassociateResourceShare', { RegionId: REGION, ResourceShareId: shareId, Targets: [FOLDERS.prod] });
    const whileDisassociating = await call('AssociateResourceShare', { Targets: [FOLDERS.prod] });
    stack.clock.advance(50);
    const alreadyGone = await call('DisassociateResourceShare', { Targets: [FOLDERS.prod] });

    // Assess
    expect(whileAssociating).toEqual({ name: 'ClientError', code: 'DisassociateConflict', statusCode: 409 });
    expect(neverAssociated).toEqual({ name: 'ClientError', code: 'DisassociateInvalid', statusCode: 400 });
    expect(whileDisassociating).toEqual({ name: 'ClientError', code: 'AssociateConflict', statusCode: 409 });
    expect(alreadyGone.code).toBe('DisassociateInvalid');
  });

  it('applies a call whole or not at all', async () => {
    // Prepare
    await stack.admin.configureResourceSharing({ associationDelayMs: 0 });
    const shareId = await createShare(owner, { ResourceShareName: 'whole', Targets: [FOLDERS.prod] });

    // Act: the second target is invalid, so the first is not associated either
    const refused = await sdkErrorOf(owner.call('AssociateResourceShare', { RegionId: REGION, ResourceShareId: shareId, Targets: [FOLDERS.dev, 'fd-missing001'] }));
    const gone = await sdkErrorOf(owner.call('DisassociateResourceShare', { RegionId: REGION, ResourceShareId: shareId, Targets: [FOLDERS.prod, FOLDERS.dev] }));

    // Assess
    expect(refused.code).toBe('InvalidTarget');
    expect(gone.code).toBe('DisassociateInvalid');
    expect(statuses(await associations(owner, { AssociationType: 'Target' }))).toEqual([[FOLDERS.prod, 'Associated']]);
  });

  it('accepts an outside account only in a share that allows external targets, marked External', async () => {
    // Prepare
    await stack.admin.configureResourceSharing({ associationDelayMs: 0 });

    // Act
    const refused = await sdkErrorOf(createShare(owner, { ResourceShareName: 'internal', Targets: [OUTSIDER.accountId] }));
    await createShare(owner, { ResourceShareName: 'external', Targets: [OUTSIDER.accountId, WEB_MEMBER.accountId], AllowExternalTargets: true });
    const rows = await associations(owner, { AssociationType: 'Target' });

    // Assess
    expect(refused).toEqual({ name: 'ClientError', code: 'InvalidTarget', statusCode: 400 });
    expect(rows.map((row) => [row['EntityId'], row['External']])).toEqual([
      [OUTSIDER.accountId, true],
      [WEB_MEMBER.accountId, false],
    ]);
  });
});

describe('Resource Sharing emulator: refused calls', () => {
  const six = ['fd-a', 'fd-b', 'fd-c', 'fd-d', 'fd-e', 'fd-f'];
  const sixImages = Array.from({ length: 6 }, (_, i) => image(`m-image00000${i}`));
  const sixShares = six.map((id) => id.replace('fd', 'rs'));
  const one = image('m-image0000001');
  const vSwitch = { ResourceType: 'VSwitch', ResourceId: 'vsw-1' };

  it.each([
    ['no region', 'ListResourceShares', { ResourceOwner: 'Self', RegionId: '' }, 'MissingParameter.RegionId', 400],
    ['an unknown region', 'ListResourceShares', { ResourceOwner: 'Self', RegionId: 'xx-nowhere-1' }, 'InvalidParameter.RegionId', 400],
    ['no ResourceOwner', 'ListResourceShares', {}, 'MissingParameter.ResourceOwner', 400],
    ['a bad ResourceOwner', 'ListSharedResources', { ResourceOwner: 'Everyone' }, 'InvalidParameter.ResourceOwner', 400],
    ['a bad share status', 'ListResourceShares', { ResourceOwner: 'Self', ResourceShareStatus: 'Gone' }, 'InvalidParameter.ResourceShareStatus', 400],
    ['MaxResults 0', 'ListResourceShares', { ResourceOwner: 'Self', MaxResults: 0 }, 'InvalidParameter.MaxResults', 400],
    ['MaxResults 101', 'ListSharedTargets', { ResourceOwner: 'Self', MaxResults: 101 }, 'InvalidParameter.MaxResults', 400],
    ['a forged NextToken', 'ListResourceShares', { ResourceOwner: 'Self', NextToken: 'bm90LWEtdG9rZW4' }, 'InvalidParameter.NextToken', 400],
    ['a NextToken over 256 characters', 'ListResourceShares', { ResourceOwner: 'Self', NextToken: 'x'.repeat(257) }, 'InvalidParameter.NextToken.Length', 400],
    ['six share ids', 'ListResourceShares', { ResourceOwner: 'Self', ResourceShareIds: sixShares }, 'InvalidParameter.ResourceShareIds.Length', 400],
    ['a share id twice', 'ListSharedTargets', { ResourceOwner: 'Self', ResourceShareIds: ['rs-a', 'rs-a'] }, 'InvalidParameter.ResourceShareIds.Duplicate', 400],
    ['six resource ids', 'ListSharedResources', { ResourceOwner: 'Self', ResourceIds: six }, 'InvalidParameter.ResourceIds.Length', 400],
    ['an unsupported resource type', 'ListSharedResources', { ResourceOwner: 'Self', ResourceType: 'VSwitch' }, 'InvalidParameter.ResourceType', 400],
    ['no AssociationType', 'ListResourceShareAssociations', {}, 'MissingParameter.AssociationType', 400],
    ['a bad AssociationType', 'ListResourceShareAssociations', { AssociationType: 'Both' }, 'InvalidParameter.AssociationType', 400],
    ['a bad AssociationStatus', 'ListResourceShareAssociations', { AssociationType: 'Target', AssociationStatus: 'Done' }, 'InvalidParameter.AssociationStatus', 400],
    ['a ResourceId with Target', 'ListResourceShareAssociations', { AssociationType: 'Target', ResourceId: 'm-image0000001' }, 'ConflictedAssociationType', 400],
    ['a Target with Resource', 'ListResourceShareAssociations', { AssociationType: 'Resource', Target: FOLDERS.prod }, 'ConflictedAssociationType', 400],
    ['no name', 'CreateResourceShare', {}, 'MissingParameter.ResourceShareName', 400],
    ['a name over 50 characters', 'CreateResourceShare', { ResourceShareName: 'n'.repeat(51) }, 'InvalidParameter.ResourceShareName.Length', 400],
    ['a name with a space', 'CreateResourceShare', { ResourceShareName: 'two words' }, 'InvalidParameter.ResourceShareName', 400],
    ['six targets', 'CreateResourceShare', { ResourceShareName: 'x', Targets: six }, 'InvalidParameter.Targets.Length', 400],
    ['a target twice', 'CreateResourceShare', { ResourceShareName: 'x', Targets: [FOLDERS.dev, FOLDERS.dev] }, 'InvalidParameter.Targets.Duplicate', 400],
    ['six resources', 'CreateResourceShare', { ResourceShareName: 'x', Resources: sixImages }, 'InvalidParameter.Resources.Length', 400],
    ['a resource twice', 'CreateResourceShare', { ResourceShareName: 'x', Resources: [one, one] }, 'InvalidParameter.Resources.Duplicate', 400],
    ['a resource without its id', 'CreateResourceShare', { ResourceShareName: 'x', Resources: [{ ResourceType: 'Image' }] }, 'InvalidParameter.Resources', 400],
    ['a VSwitch resource', 'CreateResourceShare', { ResourceShareName: 'x', Resources: [vSwitch] }, 'InvalidParameter.ResourceType', 400],
    ['an unknown folder', 'CreateResourceShare', { ResourceShareName: 'x', Targets: ['fd-missing001'] }, 'InvalidTarget', 400],
    ['another directory', 'CreateResourceShare', { ResourceShareName: 'x', Targets: ['rd-other1'] }, 'InvalidTarget', 400],
    ['an unregistered account', 'CreateResourceShare', { ResourceShareName: 'x', Targets: ['1999999999999999'], AllowExternalTargets: true }, 'InvalidTarget', 400],
    ['the owner itself', 'CreateResourceShare', { ResourceShareName: 'x', Targets: [MANAGEMENT.accountId] }, 'ShareWithYourself', 409],
    ['a permission images do not have', 'CreateResourceShare', { ResourceShareName: 'x', PermissionNames: ['AliyunRSVSwitch'] }, 'EntityNotExists.Permission', 404],
    ['no share id', 'AssociateResourceShare', { Targets: [FOLDERS.dev] }, 'MissingParameter.ResourceShareId', 400],
    ['a malformed share id', 'DisassociateResourceShare', { ResourceShareId: 'share-1', Targets: [FOLDERS.dev] }, 'InvalidParameter.ResourceShareId', 400],
    ['an unknown share', 'DeleteResourceShare', { ResourceShareId: 'rs-unknown0001' }, 'EntityNotExists.ResourceShare', 404],
    ['ResourceArns', 'CreateResourceShare', { ResourceShareName: 'x', ResourceArns: ['acs:ecs:cn-hangzhou:1:image/m-1'] }, 'InvalidParameter.ResourceArns', 400],
  ] as const)('answers %s with %s', async (_name, action, query, code, status) => {
    // Act
    const error = await sdkErrorOf(owner.call(action, { RegionId: REGION, ...query }));

    // Assess
    expect(error).toEqual({ name: 'ClientError', code, statusCode: status });
  });

  it('refuses a name already used by a share that is not deleted', async () => {
    // Prepare
    const shareId = await createShare(owner, { ResourceShareName: 'once' });

    // Act
    const taken = await sdkErrorOf(createShare(owner, { ResourceShareName: 'once' }));
    await owner.call('DeleteResourceShare', { RegionId: REGION, ResourceShareId: shareId });
    stack.clock.advance(50);
    const again = await createShare(owner, { ResourceShareName: 'once' });

    // Assess
    expect(taken).toEqual({ name: 'ClientError', code: 'EntityAlreadyExists.ResourceShare', statusCode: 409 });
    expect(again).not.toBe(shareId);
  });

  it('answers with a share of another account, and with no targets or resources, as documented', async () => {
    // Prepare
    const shareId = await createShare(owner, { ResourceShareName: 'mine' });
    const member = as(WEB_MEMBER);

    // Act
    const foreign = await sdkErrorOf(member.call('AssociateResourceShare', { RegionId: REGION, ResourceShareId: shareId, Targets: [FOLDERS.dev] }));
    const empty = await sdkErrorOf(owner.call('AssociateResourceShare', { RegionId: REGION, ResourceShareId: shareId }));
    const emptyRemoval = await sdkErrorOf(owner.call('DisassociateResourceShare', { RegionId: REGION, ResourceShareId: shareId }));

    // Assess
    expect(foreign).toEqual({ name: 'ClientError', code: 'EntityNotExists.ResourceShare', statusCode: 404 });
    expect(empty).toEqual({ name: 'ClientError', code: 'ResourceAndTargetBothEmpty', statusCode: 400 });
    expect(emptyRemoval.code).toBe('ResourceAndTargetBothEmpty');
  });

  it('needs sharing enabled for the directory and the caller in it for directory targets', async () => {
    // Prepare
    const outsider = as(OUTSIDER);

    // Act
    const notInDirectory = await sdkErrorOf(createShare(outsider, { ResourceShareName: 'x', Targets: [FOLDERS.dev] }));
    await stack.admin.putResourceDirectory({ ...DIRECTORY, sharingEnabled: false });
    const disabled = await sdkErrorOf(createShare(owner, { ResourceShareName: 'x', Targets: [FOLDERS.dev] }));
    const externalStillWorks = await createShare(owner, { ResourceShareName: 'y', Targets: [OUTSIDER.accountId], AllowExternalTargets: true });

    // Assess
    expect(notInDirectory).toEqual({ name: 'ClientError', code: 'AccountNotInResourceDirectory', statusCode: 409 });
    expect(disabled).toEqual({ name: 'ClientError', code: 'NotEnableSharingWithResourceDirectory', statusCode: 409 });
    expect(externalStillWorks).toMatch(/^rs-/);
  });
});

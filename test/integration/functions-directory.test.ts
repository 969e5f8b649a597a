// The directory channel through the four HTTP functions over the real adapters (ECS SDK, openapi-core
// for Resource Sharing and Resource Manager, tablestore SDK) against both emulators on real sockets:
// a folder share requested, approved (waiting for the associations to settle), visible to a member two
// folders down, described and unshared; both channels on one image; the folder rules resolved through
// Resource Manager; the directory quota under concurrency; its audit events published through the
// outbox with their channel and target; guard and drain across both channels.
import { afterEach, describe, expect, it } from 'vitest';
import { serviceShareName } from '../../shared/domain/directory.js';
import { eventObject } from '../fixtures/events.js';
import { FOLDERS, directoryTree } from '../support/directory.js';
import { type EcsAccessKey, ecsClient, loadEcsSdk, rpcCaller } from '../support/ecs.js';
import { type Receiver, startReceiver } from '../support/events.js';
import { STACK_KEYS, STACK_OWNER, STACK_REGION, type Stack, type StackOptions, startStack } from '../support/stack.js';

const IMAGE = 'm-bp1testimage0001';
const OTHER_IMAGE = 'm-bp1testimage0002';
const DIRECTORY_ID = 'rd-stack01';
/** Members with keys of their own, so the test can ask ECS what each one sees. */
const MEMBERS = {
  web: { accountId: '2300000000000001', key: { accessKeyId: 'AK-web-member', accessKeySecret: 'web-member-secret' } },
  dev: { accountId: '2300000000000002', key: { accessKeyId: 'AK-dev-member', accessKeySecret: 'dev-member-secret' } },
} as const;
const OUTSIDER = '2300000000000009';

const json = (res: { body: string }) => JSON.parse(res.body) as Record<string, any>;

let stack: Stack | undefined;
let receiver: Receiver | undefined;
afterEach(async () => {
  await stack?.close();
  await receiver?.close();
  stack = receiver = undefined;
});

/**
 * The stack with a resource directory the owner manages:
 *   root ├── prod └── web ← web member;  └── dev ← dev member;  the outsider in no directory.
 */
async function directoryStack(opts: StackOptions = {}): Promise<Stack> {
  const s = (stack = await startStack({
    accounts: [OUTSIDER],
    images: [
      { regionId: STACK_REGION, imageId: IMAGE, imageName: 'golden' },
      { regionId: STACK_REGION, imageId: OTHER_IMAGE, imageName: 'other' },
    ],
    ...opts,
  }));
  for (const m of Object.values(MEMBERS)) await s.ecs.admin.addAccount(m.accountId, [m.key]);
  await s.ecs.admin.putResourceDirectory(directoryTree(DIRECTORY_ID, STACK_OWNER, { web: MEMBERS.web.accountId, dev: MEMBERS.dev.accountId }));
  return s;
}

async function sees(s: Stack, key: EcsAccessKey, imageId: string): Promise<boolean> {
  const sdk = loadEcsSdk();
  const answer = await ecsClient(s.ecs.endpoint, key).describeImages(new sdk.DescribeImagesRequest({ regionId: STACK_REGION, imageOwnerAlias: 'others', imageId }));
  return (answer.body?.images?.image ?? []).some((image) => image.imageId === imageId);
}

const share = (s: Stack, body: Record<string, unknown>, requestId: string, imageId = IMAGE) =>
  s.invoke(
    'share',
    eventObject('share-request', {
      token: s.tokens.requester,
      path: `/v1/images/${STACK_REGION}/${imageId}/share-requests`,
      body: { reason: 'rollout', attestation: { sensitiveDataRemoved: true }, ...body },
      headers: { 'Idempotency-Key': null },
    }),
    requestId,
  );
const approve = (s: Stack, requestId: string, id: string) => s.invoke('share', eventObject('approve', { token: s.tokens.approver, requestId }), id);
const describeImage = async (s: Stack, id: string) => json(await s.invoke('describe', eventObject('describe-image', { token: s.tokens.auditor }), id));
const unshare = (s: Stack, body: Record<string, unknown>, id: string) =>
  s.invoke('unshare', eventObject('unshare', { token: s.tokens.requester, body: { reason: 'done', ...body }, headers: { 'Idempotency-Key': null } }), id);
const deletion = (s: Stack, mode: 'guard' | 'drain', id: string) =>
  s.invoke('delete-guard', eventObject('deletion-request', { token: s.tokens.admin, body: { mode, reason: 'retire' }, headers: { 'Idempotency-Key': null } }), id);
const directorySharesOf = async (s: Stack, imageId: string) =>
  (await s.ecs.admin.state()).images.find((i) => i.imageId === imageId)!.directoryShares.map((d) => d.target).sort();

describe('the directory channel through the functions', () => {
  it('a folder share is requested, approved once its associations settle, seen by a member two folders down, and unshared', async () => {
    // Prepare: associations take 300 ms of emulator time to settle
    const s = await directoryStack({ associationDelayMs: 300 });
    // Act: ask for the prod folder
    const asked = await share(s, { directoryTargets: [FOLDERS.prod] }, 'd-1');
    const requestId = json(asked).request.requestId as string;
    const beforeApproval = await sees(s, MEMBERS.web.key, IMAGE);
    const callsBefore = (await s.ecs.admin.calls()).length;
    const approved = await approve(s, requestId, 'd-2');
    // Assess: applied only once Resource Sharing said Associated, so the member sees the image at once
    expect([asked.statusCode, json(asked).request.directoryTargets, beforeApproval]).toEqual([202, [FOLDERS.prod], false]);
    expect(approved.statusCode).toBe(200);
    const [row] = json(approved).shares as Record<string, unknown>[];
    expect(row).toMatchObject({ channel: 'directory', target: FOLDERS.prod, state: 'active', resourceShareId: expect.stringMatching(/^rs-/) });
    expect(row).not.toHaveProperty('accountId');
    const polls = (await s.ecs.admin.calls()).slice(callsBefore).filter((c) => c.action === 'ListResourceShareAssociations');
    expect(polls.length).toBeGreaterThan(2);
    expect(await sees(s, MEMBERS.web.key, IMAGE)).toBe(true);
    expect(await sees(s, MEMBERS.dev.key, IMAGE)).toBe(false);
    expect(await directorySharesOf(s, IMAGE)).toEqual([FOLDERS.prod]);

    // Describe: the share with its channel and target, its quota, no drift
    const described = await describeImage(s, 'd-3');
    expect(described.shares.map((x: Record<string, unknown>) => [x.channel, x.target, x.state])).toEqual([['directory', FOLDERS.prod, 'active']]);
    expect([described.quota, described.directoryQuota, described.drift]).toEqual([{ limit: 50, used: 0 }, { limit: 10, used: 1 }, []]);

    // Unshare: the member loses the image; the service's share, with no target left, is deleted
    const unshared = await unshare(s, { directoryTargets: [FOLDERS.prod] }, 'd-4');
    expect(unshared.statusCode).toBe(200);
    expect(json(unshared).shares.map((x: Record<string, unknown>) => [x.target, x.state])).toEqual([[FOLDERS.prod, 'revoked']]);
    expect(json(unshared).directory).toEqual({ notShared: [], revokedOutsideService: [], removedFromShares: [] });
    expect(await sees(s, MEMBERS.web.key, IMAGE)).toBe(false);
    expect(await directorySharesOf(s, IMAGE)).toEqual([]);
    const listed = await rpcCaller(s.ecs.endpoint, 'ResourceSharing', STACK_KEYS).call('ListResourceShares', {
      RegionId: STACK_REGION,
      ResourceOwner: 'Self',
      ResourceShareName: serviceShareName(IMAGE),
    });
    expect((listed['ResourceShares'] as { ResourceShareStatus: string }[]).map((x) => x.ResourceShareStatus)).toEqual(['Deleted']);
    expect((await describeImage(s, 'd-5')).directoryQuota).toEqual({ limit: 10, used: 0 });
  });

  it('keeps both channels on one image: a member shared per account and through its folder, each unshared on its own', async () => {
    // Prepare
    const s = await directoryStack({ env: { APPROVAL_REQUIRED: 'false' } });
    // Act
    const applied = await share(s, { accountIds: [MEMBERS.dev.accountId], directoryTargets: [FOLDERS.dev] }, 'b-1');
    const described = await describeImage(s, 'b-2');
    const unshared = await unshare(s, { directoryTargets: [FOLDERS.dev] }, 'b-3');
    // Assess
    expect(applied.statusCode).toBe(201);
    expect(described.shares.map((x: Record<string, unknown>) => [x.channel, x.target, x.accountId ?? null])).toEqual([
      ['account', MEMBERS.dev.accountId, MEMBERS.dev.accountId],
      ['directory', FOLDERS.dev, null],
    ]);
    expect(json(unshared).shares.map((x: Record<string, unknown>) => [x.channel, x.target])).toEqual([['directory', FOLDERS.dev]]);
    // The account share still reaches the member.
    expect(await sees(s, MEMBERS.dev.key, IMAGE)).toBe(true);
    const state = (await s.ecs.admin.state()).images.find((i) => i.imageId === IMAGE)!;
    expect([state.shares.map((x) => x.accountId), state.directoryShares]).toEqual([[MEMBERS.dev.accountId], []]);
  });

  it('resolves the folder rules through Resource Manager: the directory refused by default, a folder holding a denied account refused, an outsider unknown', async () => {
    // Prepare
    const s = await directoryStack({ env: { DENY_ACCOUNTS: MEMBERS.web.accountId } });
    // Act
    const wide = await share(s, { directoryTargets: [DIRECTORY_ID] }, 'p-1');
    const calls = (await s.ecs.admin.calls()).length;
    const prod = await share(s, { directoryTargets: [FOLDERS.prod, FOLDERS.dev] }, 'p-2');
    const lookups = (await s.ecs.admin.calls()).slice(calls).map((c) => c.action);
    const outsider = await share(s, { directoryTargets: [OUTSIDER] }, 'p-3');
    const dev = await share(s, { directoryTargets: [FOLDERS.dev] }, 'p-4');
    // Assess
    expect([wide.statusCode, json(wide).code, json(wide).refusals]).toEqual([403, 'AccountNotAllowed', [{ target: DIRECTORY_ID, reason: 'directory_wide' }]]);
    expect([prod.statusCode, json(prod).refusals]).toEqual([403, [{ target: FOLDERS.prod, reason: 'contains_denied_account', because: MEMBERS.web.accountId }]]);
    // Each folder and the denied account looked up once, and nothing shared.
    expect(lookups.sort()).toEqual(['GetAccount', 'GetFolder', 'GetFolder']);
    expect([outsider.statusCode, json(outsider).code, json(outsider).directoryTargets]).toEqual([422, 'UnknownAccount', [OUTSIDER]]);
    expect(dev.statusCode).toBe(202);
    expect(await directorySharesOf(s, IMAGE)).toEqual([]);
  });

  it('holds the directory quota under concurrency: 12 requests for 6 targets, MAX_DIRECTORY_TARGETS_PER_IMAGE=2, exactly 2 through', async () => {
    // Prepare
    const s = await directoryStack({ env: { MAX_DIRECTORY_TARGETS_PER_IMAGE: '2' } });
    const targets = [FOLDERS.prod, FOLDERS.web, FOLDERS.dev, MEMBERS.web.accountId, MEMBERS.dev.accountId, DIRECTORY_ID];
    // Act
    const answers = await Promise.all(
      Array.from({ length: 12 }, (_, i) => share(s, { directoryTargets: [targets[i % 6]!] }, `q-${i}`).then((res) => [res.statusCode, json(res).code ?? 'ok']) ),
    );
    // Assess: the directory-wide ones are refused by policy; of the others exactly two reserve a unit
    const through = answers.filter(([status]) => status === 202);
    expect(through).toHaveLength(2);
    expect(answers.filter(([, code]) => code === 'AccountNotAllowed')).toHaveLength(2);
    expect(answers.filter(([status]) => status !== 202 && status !== 403).every(([status, code]) => status === 409 && (code === 'ShareQuotaExceeded' || code === 'ShareAlreadyExists'))).toBe(true);
    const described = await describeImage(s, 'q-d');
    expect([described.quota, described.directoryQuota]).toEqual([{ limit: 50, used: 0 }, { limit: 2, used: 2 }]);
    expect(described.pendingRequests).toHaveLength(2);
  });

  it('publishes the directory channel\'s audit events through the outbox, each naming its channel and target', async () => {
    // Prepare: a webhook sink, and a console share of the image with the dev folder
    receiver = await startReceiver();
    const s = await directoryStack({ env: { WEBHOOK_URL: receiver.url, WEBHOOK_SECRET: 'whsec-directory-2b7c9e1f4a6d' } });
    const console = await s.ecs.admin.addResourceShare({
      ownerAccountId: STACK_OWNER,
      regionId: STACK_REGION,
      resources: [{ resourceType: 'Image', resourceId: IMAGE }],
      targets: [FOLDERS.dev],
    });
    // Act: a folder share requested and approved, then the folder and the console's target unshared
    const requestId = json(await share(s, { directoryTargets: [FOLDERS.prod] }, 'o-1')).request.requestId as string;
    expect((await approve(s, requestId, 'o-2')).statusCode).toBe(200);
    expect((await unshare(s, { directoryTargets: [FOLDERS.prod, FOLDERS.dev] }, 'o-3')).statusCode).toBe(200);
    await Promise.all(Object.values(s.runtimes).map((rt) => rt.events.idle()));
    // Assess: one CloudEvent per audit event, its data the event as recorded, channel and target included
    const audit = (await s.runtimes.share.store.listAudit(STACK_REGION, IMAGE, 50)).items;
    const published = receiver.requests.map((r) => JSON.parse(r.body) as { id: string; type: string; data: Record<string, unknown> });
    expect(published.map((e) => e.id).sort()).toEqual(audit.map((e) => e.eventId).sort());
    for (const event of published) expect(event.data).toEqual(audit.find((e) => e.eventId === event.id));
    const named = published.map((e) => [e.type.replace('image-share-governor.', ''), e.data.channel, e.data.target, e.data.accountId]);
    expect(named).toEqual(
      expect.arrayContaining([
        ['share.requested', 'directory', FOLDERS.prod, undefined],
        ['share.applied', 'directory', FOLDERS.prod, undefined],
        ['share.revoked', 'directory', FOLDERS.prod, undefined],
        ['share.revoked', 'directory', FOLDERS.dev, undefined],
      ]),
    );
    expect(published.find((e) => e.data.target === FOLDERS.dev)!.data.detail).toContain(console);
  });

  it('guard refuses while only a resource share made outside the service holds the image, naming channel, target and share', async () => {
    // Prepare
    const s = await directoryStack();
    const console = await s.ecs.admin.addResourceShare({
      ownerAccountId: STACK_OWNER,
      regionId: STACK_REGION,
      resources: [{ resourceType: 'Image', resourceId: IMAGE }],
      targets: [FOLDERS.dev],
    });
    // Act
    const refused = await deletion(s, 'guard', 'g-1');
    // Assess
    expect([refused.statusCode, json(refused).code]).toEqual([409, 'ImageStillShared']);
    expect(json(refused)).toMatchObject({
      shares: [],
      targets: [{ channel: 'directory', target: FOLDERS.dev, resourceShareId: console }],
      resourceShares: [console],
    });
    expect(json(refused).detail).toBe(`Image ${IMAGE} is still shared (directory ${FOLDERS.dev}); unshare it or use mode drain`);
    expect((await s.ecs.admin.state()).images.find((i) => i.imageId === IMAGE)!.deleted).toBe(false);
    expect((await s.ecs.admin.calls()).some((c) => c.action === 'DeleteImage')).toBe(false);
  });

  it('drain revokes both channels, takes the image out of a share made outside the service, and deletes the image', async () => {
    // Prepare: an account share and a folder share through the service, and a console share of this and another image
    const s = await directoryStack({ env: { APPROVAL_REQUIRED: 'false' } });
    expect((await share(s, { accountIds: [OUTSIDER], directoryTargets: [FOLDERS.web] }, 'r-1')).statusCode).toBe(201);
    const console = await s.ecs.admin.addResourceShare({
      ownerAccountId: STACK_OWNER,
      regionId: STACK_REGION,
      resources: [
        { resourceType: 'Image', resourceId: IMAGE },
        { resourceType: 'Image', resourceId: OTHER_IMAGE },
      ],
      targets: [FOLDERS.dev],
    });
    // Act
    const drained = await deletion(s, 'drain', 'r-2');
    // Assess
    expect([drained.statusCode, json(drained)]).toEqual([200, { status: 'deleted' }]);
    const state = await s.ecs.admin.state();
    expect(state.images.find((i) => i.imageId === IMAGE)).toMatchObject({ deleted: true, shares: [], directoryShares: [] });
    // The console's share keeps its other image and its target.
    expect(state.images.find((i) => i.imageId === OTHER_IMAGE)!.directoryShares).toEqual([{ resourceShareId: console, target: FOLDERS.dev }]);
    const described = await describeImage(s, 'r-3');
    expect(described.image).toMatchObject({ lifecycle: 'deleted' });
    expect([described.quota.used, described.directoryQuota.used]).toEqual([0, 0]);
  });
});

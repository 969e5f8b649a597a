/**
 * The gateway in front of Resource Sharing, Resource Manager and STS on the ECS emulator's endpoint:
 * products told apart by version, signatures and nonces, faults, flow control, the error body and the
 * call log — the same checks as for ECS, through the real openapi-core client.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type RpcProduct, rpcCaller, sdkErrorOf } from '../support/ecs.js';
import { type DirectoryStack, FOLDERS, MANAGEMENT, REGION, WEB_MEMBER, startDirectoryStack } from '../support/directory.js';
import { captureSignedRequest, sendCaptured } from '../support/wire.js';

let stack: DirectoryStack;

beforeEach(async () => {
  stack = await startDirectoryStack({ associationDelayMs: 0 });
});

afterEach(async () => {
  await stack.emulator.close();
});

const call = (product: RpcProduct, action: string, query: Record<string, unknown> = {}, key = MANAGEMENT.key, signing: 'acs3' | 'v2' = 'acs3') =>
  rpcCaller(stack.emulator.endpoint, product, key, { signing }).call(action, query);

const CALLS: ReadonlyArray<[RpcProduct, string, Record<string, unknown>]> = [
  ['ResourceSharing', 'ListResourceShares', { RegionId: REGION, ResourceOwner: 'Self' }],
  ['ResourceManager', 'GetResourceDirectory', {}],
  ['Sts', 'AssumeRole', { RoleArn: `acs:ram::${MANAGEMENT.accountId}:role/nobody`, RoleSessionName: 'gateway' }],
];

describe.each(['acs3', 'v2'] as const)('Resource Directory products behind the gateway (%s signing)', (signing) => {
  it.each(CALLS)('refuses %s %s signed with a wrong secret', async (product, action, query) => {
    // Act
    const error = await sdkErrorOf(call(product, action, query, { ...MANAGEMENT.key, accessKeySecret: 'wrong' }, signing));

    // Assess
    expect(error).toEqual({ name: 'ClientError', code: 'SignatureDoesNotMatch', statusCode: 400 });
  });

  it('accepts a captured Resource Sharing request once and refuses its replay', async () => {
    // Prepare
    const captured = await captureSignedRequest((endpoint) =>
      rpcCaller(endpoint, 'ResourceSharing', MANAGEMENT.key, { signing }).call('ListResourceShares', { RegionId: REGION, ResourceOwner: 'Self' }),
    );

    // Act
    const first = await sendCaptured(stack.emulator.endpoint, captured);
    const replay = await sendCaptured(stack.emulator.endpoint, captured);

    // Assess
    expect([first.status, first.json['ResourceShares']]).toEqual([200, []]);
    expect([replay.status, replay.json['Code']]).toEqual([400, 'SignatureNonceUsed']);
  });
});

describe('Resource Directory products behind the gateway', () => {
  it('dispatches on (action, version): an action of another product, or not emulated, is InvalidApi.NotFound', async () => {
    // Act
    const ecsActionAtRsVersion = await sdkErrorOf(call('ResourceSharing', 'DescribeImages', { RegionId: REGION }));
    const notEmulated = await sdkErrorOf(call('ResourceSharing', 'UpdateResourceShare', { RegionId: REGION }));
    const rsActionAtRmVersion = await sdkErrorOf(call('ResourceManager', 'ListResourceShares'));

    // Assess
    for (const error of [ecsActionAtRsVersion, notEmulated, rsActionAtRmVersion]) {
      expect(error).toEqual({ name: 'ClientError', code: 'InvalidApi.NotFound', statusCode: 404 });
    }
  });

  it("answers errors with each product's HostId and troubleshooting link", async () => {
    // Prepare
    const body = async (product: RpcProduct, action: string, query: Record<string, unknown>) => {
      const captured = await captureSignedRequest((endpoint) => rpcCaller(endpoint, product, MANAGEMENT.key).call(action, query));
      return (await sendCaptured(stack.emulator.endpoint, captured)).json;
    };

    // Act
    const rs = await body('ResourceSharing', 'ListResourceShares', { RegionId: REGION });
    const rm = await body('ResourceManager', 'GetAccount', {});
    const sts = await body('Sts', 'AssumeRole', {});

    // Assess
    expect(Object.keys(rs)).toEqual(['RequestId', 'HostId', 'Code', 'Message', 'Recommend']);
    expect([rs['HostId'], rs['Code']]).toEqual([`resourcesharing.${REGION}.aliyuncs.com`, 'MissingParameter.ResourceOwner']);
    expect(rs['Recommend']).toContain('product=ResourceSharing');
    expect([rm['HostId'], rm['Code']]).toEqual(['resourcemanager.aliyuncs.com', 'MissingParameter.AccountId']);
    expect(rm['Recommend']).toContain('product=ResourceManager');
    expect([sts['HostId'], sts['Code']]).toEqual(['sts.aliyuncs.com', 'InvalidParameter.RoleArn']);
  });

  it('takes the Resource Sharing region from a resourcesharing.<region> host when RegionId is absent', async () => {
    // Prepare: the RPC form does not sign the Host header, so the request can be addressed as the real service is
    await stack.admin.addResourceShare({ ownerAccountId: MANAGEMENT.accountId, regionId: 'cn-shanghai', resources: [], targets: [FOLDERS.prod] });
    const captured = await captureSignedRequest((endpoint) =>
      rpcCaller(endpoint, 'ResourceSharing', MANAGEMENT.key, { signing: 'v2' }).call('ListResourceShares', { ResourceOwner: 'Self' }),
    );

    // Act
    const answer = await sendCaptured(stack.emulator.endpoint, captured, { headers: { host: 'resourcesharing.cn-shanghai.aliyuncs.com' } });

    // Assess
    expect(answer.status).toBe(200);
    expect((answer.json['ResourceShares'] as unknown[]).length).toBe(1);
  });

  it('injects faults per action, before or after the operation takes effect', async () => {
    // Prepare
    await stack.admin.addFault({ action: 'CreateResourceShare', code: 'ServiceUnavailable', status: 503, count: 1, phase: 'after' });
    await stack.admin.addFault({ action: 'GetAccount', code: 'InternalError', status: 500, count: 1 });

    // Act
    const lost = await sdkErrorOf(call('ResourceSharing', 'CreateResourceShare', { RegionId: REGION, ResourceShareName: 'lost-answer' }));
    const listed = await call('ResourceSharing', 'ListResourceShares', { RegionId: REGION, ResourceOwner: 'Self' });
    const failed = await sdkErrorOf(call('ResourceManager', 'GetAccount', { AccountId: WEB_MEMBER.accountId }));
    const retried = await call('ResourceManager', 'GetAccount', { AccountId: WEB_MEMBER.accountId });

    // Assess
    expect(lost).toEqual({ name: 'ServerError', code: 'ServiceUnavailable', statusCode: 503 });
    expect((listed['ResourceShares'] as Array<Record<string, unknown>>).map((share) => share['ResourceShareName'])).toEqual(['lost-answer']);
    expect(failed).toEqual({ name: 'ServerError', code: 'InternalError', statusCode: 500 });
    expect((retried['Account'] as Record<string, unknown>)['AccountId']).toBe(WEB_MEMBER.accountId);
  });

  it('throttles per account, region and action', async () => {
    // Prepare
    await stack.admin.setThrottle({ action: 'ListResourceShareAssociations', qps: 1 });
    const list = (key = MANAGEMENT.key) => call('ResourceSharing', 'ListResourceShareAssociations', { RegionId: REGION, AssociationType: 'Target' }, key);

    // Act
    await list();
    const throttled = await list().catch((error: { name: string; code: string; retryAfter?: number }) => error);
    const otherAccount = await list(WEB_MEMBER.key);

    // Assess
    expect(throttled).toMatchObject({ name: 'ThrottlingError', code: 'Throttling.User' });
    expect((throttled as { retryAfter?: number }).retryAfter).toBeGreaterThan(0);
    expect(otherAccount['ResourceShareAssociations']).toEqual([]);
  });

  it('records every call in the call log like ECS calls', async () => {
    // Act
    await call('ResourceSharing', 'ListResourceShares', { RegionId: REGION, ResourceOwner: 'Self', ResourceShareIds: ['rs-abc'] });
    await sdkErrorOf(call('ResourceManager', 'GetAccount', { AccountId: '123' }));
    await sdkErrorOf(call('Sts', 'AssumeRole', { RoleArn: 'nope', RoleSessionName: 'log' }, WEB_MEMBER.key));

    // Assess
    expect((await stack.admin.calls()).map(({ at: _at, ...call }) => call)).toEqual([
      {
        action: 'ListResourceShares',
        accountId: MANAGEMENT.accountId,
        regionId: REGION,
        params: { RegionId: REGION, ResourceOwner: 'Self', 'ResourceShareIds.1': 'rs-abc' },
        status: 200,
        code: null,
      },
      { action: 'GetAccount', accountId: MANAGEMENT.accountId, regionId: null, params: { AccountId: '123' }, status: 400, code: 'InvalidParameter.AccountId' },
      {
        action: 'AssumeRole',
        accountId: WEB_MEMBER.accountId,
        regionId: null,
        params: { RoleArn: 'nope', RoleSessionName: 'log' },
        status: 400,
        code: 'InvalidParameter.RoleArn',
      },
    ]);
  });
});

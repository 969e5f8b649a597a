import { afterEach, describe, expect, it } from 'vitest';
import { createFcInvoker } from '../../shared/fc/invoker.js';
import { startFcAsync, type FcAsyncServer } from '../support/fc-async.js';
import { isGovernorError } from '../../shared/domain/errors.js';

let server: FcAsyncServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

describe('createFcInvoker (@alicloud/fc2 on the FC 3.0 path)', () => {
  it('sends a signed async invocation of the function with the JSON payload', async () => {
    // Prepare
    server = await startFcAsync({ accessKeys: { 'AK-local': 'secret-local' } });
    const invoker = createFcInvoker({
      accountId: '1234567890123456',
      region: 'cn-hangzhou',
      endpoint: server.endpoint,
      credentials: () => ({ accessKeyId: 'AK-local', accessKeySecret: 'secret-local' }),
    });
    const payload = { kind: 'continue', runId: 'r1', regionId: 'cn-hangzhou', mode: 'enforce', cursor: { phase: 'ecs', pageNumber: 2, index: 5 } };
    // Act
    await invoker.invokeAsync('image-share-reconcile', payload);
    // Assess
    expect(server.rejected).toEqual([]);
    expect(server.invocations).toEqual([
      { functionName: 'image-share-reconcile', invocationType: 'Async', accessKeyId: 'AK-local', payload, requestId: expect.any(String) },
    ]);
  });

  it('carries the STS token as a signed header for STS keys and for keys of another shape', async () => {
    server = await startFcAsync({ accessKeys: { 'STS.abc': 's1', 'LTAIplain': 's2' } });
    const make = (accessKeyId: string, accessKeySecret: string) =>
      createFcInvoker({
        accountId: '1234567890123456',
        region: 'cn-hangzhou',
        endpoint: server!.endpoint,
        credentials: () => ({ accessKeyId, accessKeySecret, securityToken: `token-of-${accessKeyId}` }),
      });
    await make('STS.abc', 's1').invokeAsync('f', { a: 1 });
    await make('LTAIplain', 's2').invokeAsync('f', { a: 2 });
    expect(server.rejected).toEqual([]);
    expect(server.invocations.map((i) => [i.accessKeyId, i.securityToken])).toEqual([
      ['STS.abc', 'token-of-STS.abc'],
      ['LTAIplain', 'token-of-LTAIplain'],
    ]);
  });

  it('maps a refused invocation (bad secret) to UpstreamUnavailable with the FC code', async () => {
    server = await startFcAsync({ accessKeys: { 'AK-local': 'secret-local' } });
    const invoker = createFcInvoker({
      accountId: '1234567890123456',
      region: 'cn-hangzhou',
      endpoint: server.endpoint,
      credentials: () => ({ accessKeyId: 'AK-local', accessKeySecret: 'wrong' }),
    });
    const error = await invoker.invokeAsync('f', {}).catch((e: unknown) => e);
    expect(isGovernorError(error, 'UpstreamUnavailable')).toBe(true);
    expect((error as { details: unknown }).details).toEqual({ functionName: 'f', fcCode: 'SignatureNotMatch' });
    expect(server.invocations).toEqual([]);
  });

  it('refuses a payload above the 128 KB async limit before sending', async () => {
    server = await startFcAsync({ accessKeys: { AK: 'S' } });
    const invoker = createFcInvoker({ accountId: '1', region: 'cn-hangzhou', endpoint: server.endpoint, credentials: () => ({ accessKeyId: 'AK', accessKeySecret: 'S' }) });
    await expect(invoker.invokeAsync('f', { blob: 'x'.repeat(130 * 1024) })).rejects.toThrow(/128 KB/);
    expect(server.invocations).toEqual([]);
  });
});

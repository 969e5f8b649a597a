/**
 * The ECS emulator's gateway checks on the wire: signatures in both modes, nonces, timestamps,
 * AccessKeys, STS tokens, unknown actions and the error body. Requests are signed by the real SDK;
 * what the SDK cannot send (replays, tampering) is a captured SDK request re-sent over raw HTTP.
 */
import { createHmac, randomUUID } from 'node:crypto';
import { connect } from 'node:net';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type RunningEcsEmulator, startEcsEmulator } from '../../emulators/ecs/index.js';
import { isLoopback } from '../../emulators/common/http.js';
import { type EcsAdmin, type EcsSdk, ecsAdmin, ecsClient, loadEcsSdk, loadOpenApiCore, sdkErrorOf } from '../support/ecs.js';
import { type CapturedRequest, type RawResponse, captureSignedRequest as captureWith, sendCaptured } from '../support/wire.js';

const REGION = 'cn-hangzhou';
const OWNER = { accountId: '9876543210987654', key: { accessKeyId: 'AK-WIRE', accessKeySecret: 'wire-secret' } };

let sdk: EcsSdk;
let emulator: RunningEcsEmulator;
let admin: EcsAdmin;

beforeAll(() => {
  sdk = loadEcsSdk();
});

beforeEach(async () => {
  emulator = await startEcsEmulator({ port: 0 });
  admin = ecsAdmin(emulator.endpoint);
  await admin.addAccount(OWNER.accountId, [OWNER.key]);
});

afterEach(async () => {
  await emulator.close();
});

/** Lets the real SDK sign one DescribeImages call, captures it without delivering it. */
const captureSignedRequest = (signing: 'acs3' | 'v2', securityToken?: string): Promise<CapturedRequest> =>
  captureWith((endpoint) =>
    ecsClient(endpoint, OWNER.key, { signing, securityToken }).describeImages(new sdk.DescribeImagesRequest({ regionId: REGION, imageOwnerAlias: 'self' })),
  );

/** Sends a (possibly altered) captured request to the emulator, keeping its signed Host header. */
const send = (captured: CapturedRequest, change: Parameters<typeof sendCaptured>[2] = {}, endpoint = emulator.endpoint): Promise<RawResponse> =>
  sendCaptured(endpoint, captured, change);

const describeImages = (key: { accessKeyId: string; accessKeySecret: string }, signing: 'acs3' | 'v2', securityToken?: string) =>
  ecsClient(emulator.endpoint, key, { signing, securityToken }).describeImages(new sdk.DescribeImagesRequest({ regionId: REGION }));

describe.each(['acs3', 'v2'] as const)('ECS emulator gateway checks (%s signing)', (signing) => {
  it('accepts a captured SDK request once and refuses its replay with SignatureNonceUsed', async () => {
    // Prepare
    const captured = await captureSignedRequest(signing);

    // Act
    const first = await send(captured);
    const replay = await send(captured);

    // Assess
    expect(first.status).toBe(200);
    expect([replay.status, replay.json['Code']]).toEqual([400, 'SignatureNonceUsed']);
  });

  it('refuses the replay of a request signed ahead of its clock for as long as the timestamp passes', async () => {
    // Prepare: the emulator clock runs 14 minutes behind the signer, then catches up
    const captured = await captureSignedRequest(signing);
    const signedAtMs = Date.now();
    let clockMs = signedAtMs - 14 * 60_000;
    const behind = await startEcsEmulator({ port: 0, now: () => new Date(clockMs) });
    await ecsAdmin(behind.endpoint).addAccount(OWNER.accountId, [OWNER.key]);

    try {
      // Act
      const first = await send(captured, {}, behind.endpoint);
      clockMs = signedAtMs + 2 * 60_000;
      const replay = await send(captured, {}, behind.endpoint);

      // Assess
      expect(first.status).toBe(200);
      expect([replay.status, replay.json['Code']]).toEqual([400, 'SignatureNonceUsed']);
    } finally {
      await behind.close();
    }
  });

  it('refuses a request whose signed action header or parameters were changed', async () => {
    // Prepare
    const captured = await captureSignedRequest(signing);
    const otherAction =
      signing === 'acs3'
        ? { headers: { 'x-acs-action': 'DeleteImage' } }
        : { path: captured.path.replace('Action=DescribeImages', 'Action=DeleteImage') };

    // Act
    const response = await send(captured, otherAction);

    // Assess
    expect([response.status, response.json['Code']]).toEqual([400, 'SignatureDoesNotMatch']);
    expect((await admin.calls()).map((call) => call.status)).toEqual([400]);
  });

  it('refuses a request whose parameters were changed after signing with SignatureDoesNotMatch', async () => {
    // Prepare
    const captured = await captureSignedRequest(signing);
    const tampered = captured.path.replace('ImageOwnerAlias=self', 'ImageOwnerAlias=others');

    // Act
    const response = await send(captured, { path: tampered });

    // Assess
    expect(tampered).not.toBe(captured.path);
    expect([response.status, response.json['Code']]).toEqual([400, 'SignatureDoesNotMatch']);
  });

  it('refuses a wrong secret with SignatureDoesNotMatch and an unknown AccessKey with InvalidAccessKeyId.NotFound', async () => {
    // Act
    const wrongSecret = await sdkErrorOf(describeImages({ ...OWNER.key, accessKeySecret: 'not-the-secret' }, signing));
    const unknownKey = await sdkErrorOf(describeImages({ accessKeyId: 'AK-NOBODY', accessKeySecret: 'x' }, signing));

    // Assess
    expect(wrongSecret).toEqual({ name: 'ClientError', code: 'SignatureDoesNotMatch', statusCode: 400 });
    expect(unknownKey).toEqual({ name: 'ClientError', code: 'InvalidAccessKeyId.NotFound', statusCode: 404 });
  });

  it('refuses requests signed more than 15 minutes away from the emulator clock', async () => {
    // Prepare
    const ahead = await startEcsEmulator({ port: 0, now: () => new Date(Date.now() + 16 * 60_000) });
    const behind = await startEcsEmulator({ port: 0, now: () => new Date(Date.now() - 16 * 60_000) });
    const slightlyOff = await startEcsEmulator({ port: 0, now: () => new Date(Date.now() + 10 * 60_000) });
    for (const other of [ahead, behind, slightlyOff]) await ecsAdmin(other.endpoint).addAccount(OWNER.accountId, [OWNER.key]);
    const call = (endpoint: string) =>
      ecsClient(endpoint, OWNER.key, { signing }).describeImages(new sdk.DescribeImagesRequest({ regionId: REGION }));

    try {
      // Act
      const stale = await sdkErrorOf(call(ahead.endpoint));
      const future = await sdkErrorOf(call(behind.endpoint));
      const tolerated = await call(slightlyOff.endpoint);

      // Assess
      expect(stale).toEqual({ name: 'ClientError', code: 'InvalidTimeStamp.Expired', statusCode: 400 });
      expect(future).toEqual({ name: 'ClientError', code: 'InvalidTimeStamp.Expired', statusCode: 400 });
      expect(tolerated.statusCode).toBe(200);
    } finally {
      await Promise.all([ahead.close(), behind.close(), slightlyOff.close()]);
    }
  });

  it('holds an STS key to its own security token', async () => {
    // Prepare
    const sts = { accessKeyId: 'STS.wire', accessKeySecret: 'sts-secret' };
    await admin.addAccount(OWNER.accountId, [{ ...sts, securityToken: 'sts-token-1' }]);

    // Act
    const withToken = await describeImages(sts, signing, 'sts-token-1');
    const withoutToken = await sdkErrorOf(describeImages(sts, signing));
    const otherToken = await sdkErrorOf(describeImages(sts, signing, 'sts-token-2'));

    // Assess
    const mismatch = { name: 'ClientError', code: 'InvalidSecurityToken.MismatchWithAccessKey', statusCode: 400 };
    expect(withToken.statusCode).toBe(200);
    expect([withoutToken, otherToken]).toEqual([mismatch, mismatch]);
  });

  it('accepts an STS security token with a registered key and keeps it out of the call log', async () => {
    // Act
    const response = await describeImages(OWNER.key, signing, 'sts-token-value');
    const calls = await admin.calls();

    // Assess
    expect(response.statusCode).toBe(200);
    expect(calls).toEqual([
      { action: 'DescribeImages', accountId: OWNER.accountId, regionId: REGION, params: { RegionId: REGION }, status: 200, code: null, at: expect.any(String) },
    ]);
  });
});

describe('ECS emulator request parsing', () => {
  it('answers an action it does not emulate, or a wrong version, with InvalidApi.NotFound', async () => {
    // Prepare
    const { default: OpenApiClient, $OpenApiUtil } = loadOpenApiCore();
    const client = new OpenApiClient(
      new $OpenApiUtil.Config({ ...OWNER.key, endpoint: emulator.endpoint, protocol: 'http' }),
    );
    const call = (action: string, version: string) =>
      client.callApi(
        new $OpenApiUtil.Params({
          action, version, protocol: 'HTTPS', pathname: '/', method: 'POST', authType: 'AK', style: 'RPC', reqBodyType: 'formData', bodyType: 'json',
        }),
        new $OpenApiUtil.OpenApiRequest({ query: { RegionId: REGION } }),
        {} as Parameters<typeof client.callApi>[2],
      );

    // Act
    const unknown = await sdkErrorOf(call('RunInstances', '2014-05-26'));
    const wrongVersion = await sdkErrorOf(call('DescribeImages', '2016-01-01'));
    const known = await call('DescribeImages', '2014-05-26');

    // Assess
    expect(unknown).toEqual({ name: 'ClientError', code: 'InvalidApi.NotFound', statusCode: 404 });
    expect(wrongVersion).toEqual({ name: 'ClientError', code: 'InvalidApi.NotFound', statusCode: 404 });
    expect(known.statusCode).toBe(200);
  });

  it('accepts parameters sent in a form body in both signing modes (ACS3 signs the body by its hash)', async () => {
    // Prepare
    const { default: OpenApiClient, $OpenApiUtil } = loadOpenApiCore();
    const call = (signatureAlgorithm: 'v2' | undefined) =>
      new OpenApiClient(new $OpenApiUtil.Config({ ...OWNER.key, endpoint: emulator.endpoint, protocol: 'http', signatureAlgorithm })).callApi(
        new $OpenApiUtil.Params({
          action: 'DescribeImages', version: '2014-05-26', protocol: 'HTTP', pathname: '/', method: 'POST', authType: 'AK', style: 'RPC', reqBodyType: 'formData', bodyType: 'json',
        }),
        new $OpenApiUtil.OpenApiRequest({ query: { RegionId: REGION }, body: { ImageOwnerAlias: 'self' } }),
        {} as Parameters<InstanceType<typeof OpenApiClient>['callApi']>[2],
      );

    // Act
    const acs3 = await call(undefined);
    const v2 = await call('v2');

    // Assess
    expect([acs3.statusCode, v2.statusCode]).toEqual([200, 200]);
    expect((await admin.calls()).map((record) => record.params)).toEqual([
      { RegionId: REGION, ImageOwnerAlias: 'self' },
      { RegionId: REGION, ImageOwnerAlias: 'self' },
    ]);
  });

  it('sends every error as {RequestId, HostId, Code, Message, Recommend} with x-acs-request-id', async () => {
    // Prepare
    const captured = await captureSignedRequest('acs3');

    // Act
    const response = await send(captured, { headers: { authorization: '' } });
    const unsigned = await send({ ...captured, headers: { host: captured.headers.host } });

    // Assess
    expect(response.status).toBe(400);
    expect(Object.keys(response.json)).toEqual(['RequestId', 'HostId', 'Code', 'Message', 'Recommend']);
    expect(response.json['Code']).toBe('IncompleteSignature');
    expect(response.headers['x-acs-request-id']).toBe(response.json['RequestId']);
    expect(response.headers['content-type']).toBe('application/json;charset=utf-8');
    expect([unsigned.status, unsigned.json['Code']]).toEqual([400, 'IncompleteSignature']);
    expect((await admin.calls()).map((call) => [call.action, call.accountId, call.regionId, call.code])).toEqual([
      ['DescribeImages', null, REGION, 'IncompleteSignature'],
      [null, null, REGION, 'IncompleteSignature'],
    ]);
  });

  it('answers a request target the URL parser refuses with InvalidApi.NotFound, not a crash', async () => {
    // Prepare
    const [host, port] = emulator.endpoint.split(':');

    // Act
    const head = await new Promise<string>((resolve, reject) => {
      const socket = connect(Number(port), host, () => socket.write('POST http://[ HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\nConnection: close\r\n\r\n'));
      let text = '';
      socket.on('data', (chunk) => (text += chunk.toString()));
      socket.on('end', () => resolve(text));
      socket.on('error', reject);
    });

    // Assess
    expect(head.split('\r\n')[0]).toBe('HTTP/1.1 404 Not Found');
    expect(head).toContain('"Code":"InvalidApi.NotFound"');
  });

  it('requires every x-acs-* header to be signed and the body to match x-acs-content-sha256', async () => {
    // Prepare
    const forExtraHeader = await captureSignedRequest('acs3');
    const forBody = await captureSignedRequest('acs3');

    // Act
    const extraHeader = await send(forExtraHeader, { headers: { 'x-acs-unsigned': '1' } });
    const changedBody = await send(forBody, { body: 'RegionId=cn-shanghai', headers: { 'content-type': 'text/plain' } });

    // Assess
    expect([extraHeader.status, extraHeader.json['Code']]).toEqual([400, 'IncompleteSignature']);
    expect([changedBody.status, changedBody.json['Code']]).toEqual([400, 'SignatureDoesNotMatch']);
  });

  it('accepts a request hand-signed per the RPC HMAC-SHA1 spec, and refuses one with an empty STS token', async () => {
    // Prepare: sign the way Alibaba documents it, independently of the SDK.
    const rfc3986 = (value: string) => encodeURIComponent(value).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
    const signedPath = (securityToken: string | undefined) => {
      const params: Record<string, string> = {
        Action: 'DescribeImages', Version: '2014-05-26', Format: 'JSON', RegionId: REGION, AccessKeyId: OWNER.key.accessKeyId,
        SignatureMethod: 'HMAC-SHA1', SignatureVersion: '1.0', SignatureNonce: randomUUID(),
        Timestamp: new Date().toISOString().replace(/\.\d{3}Z$/, 'Z'),
        ...(securityToken === undefined ? {} : { SecurityToken: securityToken }),
      };
      const canonical = Object.keys(params).sort().map((key) => `${rfc3986(key)}=${rfc3986(params[key]!)}`).join('&');
      const signature = createHmac('sha1', `${OWNER.key.accessKeySecret}&`).update(`POST&%2F&${rfc3986(canonical)}`).digest('base64');
      return `/?${canonical}&Signature=${rfc3986(signature)}`;
    };
    const bare = { method: 'POST', path: '/', headers: { host: emulator.endpoint } };

    // Act
    const plain = await send({ ...bare, path: signedPath(undefined) });
    const withToken = await send({ ...bare, path: signedPath('sts-token') });
    const emptyToken = await send({ ...bare, path: signedPath('') });

    // Assess
    expect(plain.status).toBe(200);
    expect(withToken.status).toBe(200);
    expect([emptyToken.status, emptyToken.json['Code']]).toEqual([400, 'InvalidSecurityToken.Malformed']);
  });

  it('writes ImageOwnerId as a bare JSON number, like ECS, without leading zeros', async () => {
    // Prepare
    const lookalike = '\u0000int:5\u0000';
    await admin.addImage({ ownerAccountId: OWNER.accountId, regionId: REGION, imageId: 'm-bigowner0001', tags: { lookalike } });
    const captured = await captureSignedRequest('acs3');

    // Act
    const response = await send(captured);

    // Assess
    expect(response.text).toContain('"ImageOwnerId":9876543210987654,');
    // A string that looks like the writer's integer marker stays a string.
    const images = (response.json['Images'] as { Image: Array<{ Tags: { Tag: unknown[] } }> }).Image;
    expect(images[0]?.Tags.Tag).toEqual([{ TagKey: 'lookalike', TagValue: lookalike }]);
  });

  it('logs gateway refusals without an account and operation refusals with one, oldest first', async () => {
    // Act
    await sdkErrorOf(describeImages({ accessKeyId: 'AK-NOBODY', accessKeySecret: 'x' }, 'acs3'));
    await sdkErrorOf(
      ecsClient(emulator.endpoint, OWNER.key).describeImageSharePermission(
        new sdk.DescribeImageSharePermissionRequest({ regionId: REGION, imageId: 'm-missing0001' }),
      ),
    );

    // Assess
    expect(await admin.calls()).toEqual([
      { action: 'DescribeImages', accountId: null, regionId: REGION, params: { RegionId: REGION }, status: 404, code: 'InvalidAccessKeyId.NotFound', at: expect.any(String) },
      {
        action: 'DescribeImageSharePermission',
        accountId: OWNER.accountId,
        regionId: REGION,
        params: { RegionId: REGION, ImageId: 'm-missing0001' },
        status: 404,
        code: 'InvalidImageId.NotFound',
        at: expect.any(String),
      },
    ]);
  });
});

describe('ECS emulator admin loopback rule', () => {
  it('treats only loopback peers as admin callers', () => {
    // Act
    const verdicts = ['127.0.0.1', '127.8.9.10', '::1', '::ffff:127.0.0.1', '192.0.2.2', '::ffff:10.0.0.1', 'fd00::2', undefined].map(isLoopback);

    // Assess
    expect(verdicts).toEqual([true, true, true, true, false, false, false, false]);
  });
});

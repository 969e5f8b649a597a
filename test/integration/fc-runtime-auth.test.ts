// HTTP trigger authType in the local FC runtime: jwt (trigger jwks, tokenLookup, claimPassBy,
// whitelist) and function (ACS3-HMAC-SHA256 with the role's keys).
import { createHash } from 'node:crypto';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SignJWT, exportJWK, generateKeyPair } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { acs3CanonicalRequest, acs3Signature } from '../../emulators/fc/auth.js';
import { startFcRuntime, type FcRuntime } from '../../emulators/fc/runtime.js';

const ACCOUNT = '1234567890123456';
const ROLE = { accessKeyId: 'STS.authrole', accessKeySecret: 'auth-role-secret', securityToken: 'auth-token' };

const ECHO = `
exports.routes = [{ method: 'GET', path: '/jwt/{x}' }, { method: 'GET', path: '/open/health' }];
exports.handler = async (event) => {
  const e = JSON.parse(event.toString());
  return { statusCode: 200, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ user: e.headers['X-User'] ?? null }) };
};`;
const SIGNED = `
exports.routes = [{ method: 'POST', path: '/signed' }];
exports.handler = async () => ({ statusCode: 200, body: 'signed ok' });`;

function spec(jwks: unknown): string {
  return `
edition: 3.0.0
name: auth-fixture
resources:
  jwt:
    component: fc3
    props:
      region: cn-hangzhou
      functionName: fx-jwt
      runtime: nodejs20
      code: ./dist/jwt
      handler: index.handler
      timeout: 5
      triggers:
        - triggerName: http
          triggerType: http
          triggerConfig:
            authType: jwt
            methods: [GET]
            authConfig:
              jwks: ${JSON.stringify(jwks)}
              tokenLookup: 'header:Authorization:Bearer ,query:token'
              claimPassBy: 'header:sub:X-User'
              whitelist: ['/open/*']
  signed:
    component: fc3
    props:
      region: cn-hangzhou
      functionName: fx-signed
      runtime: nodejs20
      code: ./dist/signed
      handler: index.handler
      timeout: 5
      triggers:
        - triggerName: http
          triggerType: http
          triggerConfig: { authType: function, methods: [POST] }
`;
}

describe('FC runtime trigger authType', () => {
  let dir: string;
  let rt: FcRuntime;
  let sign: (claims: Record<string, unknown>, expiresAt?: number | string) => Promise<string>;
  let otherKeyToken: string;

  beforeAll(async () => {
    const { privateKey, publicKey } = await generateKeyPair('RS256');
    const other = await generateKeyPair('RS256');
    const jwk = { ...(await exportJWK(publicKey)), alg: 'RS256', use: 'sig', kid: 'k1' };
    sign = (claims, expiresAt = '5m') => new SignJWT(claims).setProtectedHeader({ alg: 'RS256', kid: 'k1' }).setExpirationTime(expiresAt).sign(privateKey);
    otherKeyToken = await new SignJWT({ sub: 'mallory' }).setProtectedHeader({ alg: 'RS256', kid: 'k1' }).setExpirationTime('5m').sign(other.privateKey);
    dir = mkdtempSync(join(tmpdir(), 'fc-auth-'));
    for (const [name, code] of [['jwt', ECHO], ['signed', SIGNED]] as const) {
      mkdirSync(join(dir, 'dist', name), { recursive: true });
      writeFileSync(join(dir, 'dist', name, 'index.js'), code);
      writeFileSync(join(dir, 'dist', name, 'package.json'), '{"type":"commonjs"}');
    }
    writeFileSync(join(dir, 's.yaml'), spec({ keys: [jwk] }));
    rt = await startFcRuntime({ specFile: join(dir, 's.yaml'), specEnv: {}, port: 0, accountId: ACCOUNT, roleCredentials: ROLE, timers: 'off', log: () => undefined });
  });

  afterAll(async () => {
    await rt?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('jwt: passes a valid token (header or query) and copies the claim into a header', async () => {
    const token = await sign({ sub: 'alice' });
    const viaHeader = await fetch(`${rt.url}/jwt/a`, { headers: { authorization: `Bearer ${token}` } });
    expect(viaHeader.status).toBe(200);
    expect(await viaHeader.json()).toEqual({ user: 'alice' });
    const viaQuery = await fetch(`${rt.url}/jwt/a?token=${token}`);
    expect(await viaQuery.json()).toEqual({ user: 'alice' });
  });

  it('jwt: a claim passed as a header replaces the same header sent by the caller', async () => {
    const token = await sign({ sub: 'alice' });
    const res = await fetch(`${rt.url}/jwt/a`, { headers: { authorization: `Bearer ${token}`, 'x-user': 'mallory' } });
    expect(await res.json()).toEqual({ user: 'alice' });
  });

  it('jwt: refuses a missing, foreign-key or expired token, but not on a whitelisted path', async () => {
    expect((await fetch(`${rt.url}/jwt/a`)).status).toBe(401);
    expect((await fetch(`${rt.url}/jwt/a`, { headers: { authorization: `Bearer ${otherKeyToken}` } })).status).toBe(401);
    const expired = await sign({ sub: 'alice' }, Math.floor(Date.now() / 1000) - 60);
    const res = await fetch(`${rt.url}/jwt/a`, { headers: { authorization: `Bearer ${expired}` } });
    expect(res.status).toBe(401);
    expect(((await res.json()) as { code: string }).code).toBe('InvalidJWT');
    expect((await fetch(`${rt.url}/open/health`)).status).toBe(200);
  });

  it('function: accepts an ACS3 signature by the role keys and refuses a changed body', async () => {
    // Prepare
    const body = '{"a":1}';
    const host = new URL(rt.url).host;
    const headers: Record<string, string> = {
      host,
      'x-acs-date': new Date().toISOString().replace(/\.\d{3}Z$/, 'Z'),
      'x-acs-security-token': ROLE.securityToken,
      'x-acs-content-sha256': createHash('sha256').update(body).digest('hex'),
      'content-type': 'application/json',
    };
    const signed = ['content-type', 'host', 'x-acs-content-sha256', 'x-acs-date', 'x-acs-security-token'];
    const canonical = acs3CanonicalRequest('POST', '/signed', new URLSearchParams(), headers, signed, headers['x-acs-content-sha256']!);
    const authorization = `ACS3-HMAC-SHA256 Credential=${ROLE.accessKeyId},SignedHeaders=${signed.join(';')},Signature=${acs3Signature(ROLE.accessKeySecret, canonical)}`;
    // Act
    const ok = await fetch(`${rt.url}/signed`, { method: 'POST', headers: { ...headers, authorization }, body });
    const tampered = await fetch(`${rt.url}/signed`, { method: 'POST', headers: { ...headers, authorization }, body: '{"a":2}' });
    const unsigned = await fetch(`${rt.url}/signed`, { method: 'POST', body });
    // Assess
    expect(ok.status).toBe(200);
    expect(await ok.text()).toBe('signed ok');
    expect(tampered.status).toBe(401);
    expect(unsigned.status).toBe(401);
  });
});

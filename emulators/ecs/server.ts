/**
 * The HTTP front of the ECS emulator: admin routes under /__emulator/, everything else is the
 * signed RPC API (`POST /` with parameters in the query string) of ECS and of the products answered
 * on the same endpoint (Resource Sharing, Resource Manager, STS), checked the way the Alibaba Cloud
 * gateway does — signature material, timestamp, AccessKey, signature, nonce, product and action —
 * then flow control, injected faults and finally the operation.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { seededRandom } from '../common/faults.js';
import { createEmulatorServer } from '../common/http.js';
import { type AdminDependencies, type CallRecord, handleAdmin } from './admin.js';
import { ApiError, gatewayErrors } from './errors.js';
import { FaultInjector, FlowControl } from './faults.js';
import { writeJson } from './json.js';
import { ECS_PRODUCT, type Product, productOf } from './products.js';
import { DirectoryStore } from './resourcemanager/store.js';
import { ResourceShareStore } from './resourcesharing/store.js';
import { type RawApiRequest, parseSignature, parseTimestamp } from './signature.js';
import { EcsStore } from './store.js';
import { RoleStore } from './sts/store.js';

export interface EcsEmulatorOptions {
  /** The emulator's clock: request timestamps, SharedTime, CreationTime and flow control use it. */
  now?: () => Date;
  /** Source of randomness for probabilistic faults, in [0, 1). Wins over `seed`. */
  random?: () => number;
  /** Seed for a reproducible built-in generator when `random` is not given. */
  seed?: number;
  /**
   * How long Resource Sharing associations stay Associating / Disassociating, in ms of the emulator
   * clock (default 50; 0 = settled on the next call). `PUT /__emulator/resource-sharing` changes it.
   */
  associationDelayMs?: number;
}

const DEFAULT_ASSOCIATION_DELAY_MS = 50;

/** ECS rejects requests signed more than 15 minutes from its own clock. */
const TIMESTAMP_TOLERANCE_MS = 15 * 60 * 1000;
const MAX_BODY_BYTES = 1024 * 1024;
const MAX_CALL_RECORDS = 100_000;
const SWEEP_INTERVAL_MS = 60_000;

/**
 * Nonces of accepted requests, each remembered for as long as its request's timestamp still passes
 * the 15-minute check: a request signed ahead of the clock stays replayable for longer than 15
 * minutes from its arrival, so its nonce must outlive that too.
 */
class NonceCache {
  private expiries = new Map<string, number>();
  private nextSweepMs = 0;
  constructor(private readonly nowMs: () => number) {}

  /** Records the nonce of a request signed at `signedAtMs`; false if it was already used. */
  use(nonce: string, signedAtMs: number): boolean {
    const now = this.nowMs();
    if (now >= this.nextSweepMs) {
      // Expiries are not in insertion order (they follow the signed time), so sweep them all, rarely.
      for (const [seen, expiry] of this.expiries) if (expiry < now) this.expiries.delete(seen);
      this.nextSweepMs = now + SWEEP_INTERVAL_MS;
    }
    const expiry = this.expiries.get(nonce);
    if (expiry !== undefined && expiry >= now) return false;
    this.expiries.set(nonce, signedAtMs + TIMESTAMP_TOLERANCE_MS);
    return true;
  }

  clear(): void {
    this.expiries.clear();
    this.nextSweepMs = 0;
  }
}

async function readBody(request: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    const buffer = chunk as Buffer;
    size += buffer.length;
    if (size > MAX_BODY_BYTES) throw new ApiError(413, 'InvalidParameter', 'The request body is too large.');
    chunks.push(buffer);
  }
  return Buffer.concat(chunks);
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export class EcsEmulator {
  readonly store = new EcsStore();
  readonly directory = new DirectoryStore();
  readonly resourceShares: ResourceShareStore;
  readonly roles = new RoleStore();
  readonly server: Server;
  private readonly now: () => Date;
  private readonly faults: FaultInjector;
  private readonly flowControl: FlowControl;
  private readonly nonces: NonceCache;
  private readonly calls: CallRecord[] = [];
  private readonly admin: AdminDependencies;

  constructor(options: EcsEmulatorOptions = {}) {
    this.now = options.now ?? (() => new Date());
    const nowMs = () => this.now().getTime();
    this.resourceShares = new ResourceShareStore(this.directory, this.now, options.associationDelayMs ?? DEFAULT_ASSOCIATION_DELAY_MS);
    this.faults = new FaultInjector(
      options.random ?? (options.seed !== undefined ? seededRandom(options.seed) : Math.random),
    );
    this.flowControl = new FlowControl(nowMs);
    this.nonces = new NonceCache(nowMs);
    this.admin = {
      store: this.store,
      directory: this.directory,
      resourceShares: this.resourceShares,
      roles: this.roles,
      faults: this.faults,
      flowControl: this.flowControl,
      calls: this.calls,
      now: this.now,
      resetRuntime: () => {
        this.faults.clear();
        this.flowControl.clear();
        this.nonces.clear();
        this.calls.length = 0;
      },
    };
    this.server = createEmulatorServer({
      service: 'ecs',
      admin: (method, pathname, body) => handleAdmin(this.admin, method, pathname, body),
      api: (request, response, url) => this.routeApi(request, response, url),
    });
  }

  private async routeApi(request: IncomingMessage, response: ServerResponse, url: URL | undefined): Promise<void> {
    const requestId = randomUUID().toUpperCase();
    const record: CallRecord = { action: null, accountId: null, regionId: null, params: {}, status: 200, code: null, at: this.now().toISOString() };
    let status = 200;
    let payload: Record<string, unknown>;
    let extraHeaders: Record<string, string> = {};
    let htmlPage = false;
    // Learnt while answering, for the HostId and Recommend link of an error.
    const seen: { product?: Product } = {};
    try {
      const body = await readBody(request);
      const method = request.method ?? 'GET';
      if (!url || (method !== 'POST' && method !== 'GET') || url.pathname !== '/') {
        throw gatewayErrors.pathNotFound(method, url?.pathname ?? request.url ?? '');
      }
      const pairs: Array<[string, string]> = [...url.searchParams.entries()];
      const queryPairCount = pairs.length;
      const contentType = request.headers['content-type'] ?? '';
      if (body.length > 0 && contentType.startsWith('application/x-www-form-urlencoded')) {
        pairs.push(...new URLSearchParams(body.toString('utf8')).entries());
      }
      const raw: RawApiRequest = {
        method,
        pathname: url.pathname,
        pairs,
        queryPairCount,
        headers: request.headersDistinct as Record<string, string[]>,
        body,
      };
      payload = await this.answer(raw, record, seen);
    } catch (error) {
      const apiError =
        error instanceof ApiError
          ? error
          : new ApiError(500, 'InternalError', 'The request processing has failed due to some unknown error.');
      if (!(error instanceof ApiError)) {
        process.stderr.write(`${JSON.stringify({ level: 'error', msg: 'ecs operation failure', error: String(error) })}\n`);
      }
      status = apiError.status;
      extraHeaders = apiError.headers;
      htmlPage = apiError.asHtmlPage;
      record.code = apiError.code;
      const product = seen.product ?? ECS_PRODUCT;
      payload = {
        RequestId: requestId,
        HostId: product.hostId(record.regionId),
        Code: apiError.code,
        Message: apiError.message,
        Recommend: `https://api.aliyun.com/troubleshoot?q=${encodeURIComponent(apiError.code)}&product=${product.code}&requestId=${requestId}`,
      };
    }
    record.status = status;
    this.calls.push(record);
    if (this.calls.length > MAX_CALL_RECORDS) this.calls.splice(0, this.calls.length - MAX_CALL_RECORDS);
    if (htmlPage) {
      response
        .writeHead(status, { 'content-type': 'text/html', 'x-acs-request-id': requestId })
        .end(`<html><head><title>${status}</title></head><body><h1>${status}</h1></body></html>`);
      return;
    }
    const text = writeJson(status === 200 ? { RequestId: requestId, ...payload } : payload);
    response
      .writeHead(status, {
        'content-type': 'application/json;charset=utf-8',
        'x-acs-request-id': requestId,
        ...extraHeaders,
      })
      .end(text);
  }

  /** Authenticates and runs one API call; fills the call record as facts become known. */
  private async answer(raw: RawApiRequest, record: CallRecord, seen: { product?: Product }): Promise<Record<string, unknown>> {
    // Known before any check passes, so even refused requests are attributed in the call log.
    record.action = raw.headers['x-acs-action']?.[0] ?? raw.pairs.find(([key]) => key === 'Action')?.[1] ?? null;
    record.regionId = raw.pairs.find(([key]) => key === 'RegionId')?.[1] || null;
    const claim = parseSignature(raw);
    seen.product = productOf(claim.version);
    record.action = claim.action ?? null;
    record.params = claim.params;
    record.regionId = claim.params['RegionId'] || null;

    const signedAt = parseTimestamp(claim.timestamp);
    if (Math.abs(this.now().getTime() - signedAt.getTime()) > TIMESTAMP_TOLERANCE_MS) {
      throw gatewayErrors.timestampExpired(claim.timestamp);
    }
    const key = this.store.findAccessKey(claim.accessKeyId);
    if (!key) throw gatewayErrors.accessKeyNotFound(claim.accessKeyId);
    claim.verify(key.accessKeySecret);
    // An empty token is malformed; an STS key (registered with its token) needs exactly that token;
    // a plain key accepts any non-empty token.
    if (claim.securityToken !== undefined && claim.securityToken.trim() === '') throw gatewayErrors.securityTokenMalformed();
    if (key.securityToken !== undefined && claim.securityToken !== key.securityToken) throw gatewayErrors.securityTokenMismatch();
    if (key.expiresAtMs !== undefined && this.now().getTime() > key.expiresAtMs) throw gatewayErrors.securityTokenExpired();
    record.accountId = key.accountId;
    if (!this.nonces.use(claim.nonce, signedAt.getTime())) throw gatewayErrors.nonceUsed();

    if (!claim.action) throw gatewayErrors.missingAction();
    const operation = seen.product?.operations.get(claim.action);
    if (!operation) throw gatewayErrors.apiNotFound(claim.action, claim.version ?? '');

    this.flowControl.admit(key.accountId, record.regionId ?? '', claim.action);
    const fault = this.faults.draw(claim.action);
    if (fault.latencyMs > 0) await sleep(fault.latencyMs);
    if (fault.error && fault.phase === 'before') throw fault.error;
    const body = operation({
      accountId: key.accountId,
      params: claim.params,
      host: raw.headers['host']?.[0] ?? '',
      store: this.store,
      directory: this.directory,
      resourceShares: this.resourceShares,
      roles: this.roles,
      now: this.now,
    });
    if (fault.error) throw fault.error;
    return body;
  }
}

/**
 * The HTTP front of the EventBridge emulator: admin routes under /__emulator/, everything else the
 * signed data-plane API, checked the way the gateway does — API known, signature material, AccessKey,
 * signature, Date, security token, version and media type — then the operation (faults included).
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { seededRandom } from '../common/faults.js';
import { createEmulatorServer, readBody } from '../common/http.js';
import { type AdminDependencies, type CallRecord, handleAdmin } from './admin.js';
import { EventBridgeApiError, ebErrors } from './errors.js';
import { FaultInjector } from './faults.js';
import { OPERATIONS } from './operations/index.js';
import { contentMd5Matches, parseAuthorization, signatureMatches } from './signature.js';
import { EventBridgeStore } from './store.js';

export interface EventBridgeKey {
  accessKeyId: string;
  accessKeySecret: string;
  /** Set for an STS key: requests signed with it must carry exactly this x-acs-security-token. */
  securityToken?: string;
}

export interface EventBridgeEmulatorOptions {
  /** The account that owns the buses (ResourceOwnerAccountId). Default 1000000000000001. */
  accountId?: string;
  /** The AccessKey requests must be signed with. Default local-ak-id / local-ak-secret. */
  key?: EventBridgeKey;
  /** Buses that exist from the start. */
  buses?: readonly string[];
  /** The emulator's clock: the Date check and the call log use it. */
  now?: () => Date;
  /** Source of randomness for probabilistic faults, in [0, 1). Wins over `seed`. */
  random?: () => number;
  /** Seed for a reproducible built-in generator when `random` is not given. */
  seed?: number;
}

export const DEFAULT_KEY: EventBridgeKey = { accessKeyId: 'local-ak-id', accessKeySecret: 'local-ak-secret' };
export const DEFAULT_ACCOUNT_ID = '1000000000000001';

/** Requests dated further than this from the emulator clock are refused (as the other Alibaba Cloud gateways do). */
const DATE_TOLERANCE_MS = 15 * 60 * 1000;
/** Well above the batch limit, so an oversized batch gets PutEvents' own answer; larger bodies are cut off. */
const MAX_REQUEST_BYTES = 2 * 1024 * 1024;
const MAX_CALL_RECORDS = 100_000;

/** One value per header name (the last sent), lower-case names. */
function singleHeaders(request: IncomingMessage): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [name, values] of Object.entries(request.headersDistinct)) {
    const last = values?.[values.length - 1];
    if (last !== undefined) headers[name] = last;
  }
  return headers;
}

const mediaType = (value: string | undefined): string => (value ?? '').split(';')[0]!.trim().toLowerCase();

export class EventBridgeEmulator {
  readonly store = new EventBridgeStore();
  readonly server: Server;
  readonly accountId: string;
  readonly key: EventBridgeKey;
  private readonly now: () => Date;
  private readonly faults: FaultInjector;
  private readonly calls: CallRecord[] = [];
  private readonly admin: AdminDependencies;

  constructor(options: EventBridgeEmulatorOptions = {}) {
    this.accountId = options.accountId ?? DEFAULT_ACCOUNT_ID;
    this.key = options.key ?? DEFAULT_KEY;
    this.now = options.now ?? (() => new Date());
    this.faults = new FaultInjector(options.random ?? (options.seed !== undefined ? seededRandom(options.seed) : Math.random));
    for (const bus of options.buses ?? []) this.store.createBus(bus, this.now());
    this.admin = { store: this.store, faults: this.faults, calls: this.calls, now: this.now };
    this.server = createEmulatorServer({
      service: 'eventbridge',
      admin: (method, pathname, body) => handleAdmin(this.admin, method, pathname, body),
      api: (request, response, url) => this.routeApi(request, response, url),
    });
  }

  private async routeApi(request: IncomingMessage, response: ServerResponse, url: URL | undefined): Promise<void> {
    const requestId = randomUUID().toUpperCase();
    const headers = singleHeaders(request);
    const record: CallRecord = {
      operation: null,
      accessKeyId: parseAuthorization(headers['authorization'])?.accessKeyId ?? null,
      status: 200,
      code: null,
      entries: null,
      failed: null,
      at: this.now().toISOString(),
    };
    let status = 200;
    let payload: Record<string, unknown>;
    try {
      const { body, tooLarge } = await readBody(request, MAX_REQUEST_BYTES);
      const method = request.method ?? 'GET';
      const operation = url ? OPERATIONS.get(`${method} ${url.pathname}`) : undefined;
      if (!url || !operation) throw ebErrors.apiNotFound(method, url?.pathname ?? request.url ?? '');
      record.operation = operation.name;
      this.authenticate(method, url, headers, body);
      if (!headers['x-eventbridge-version']) throw ebErrors.invalidArgument('The header x-eventbridge-version is required.');
      if (mediaType(headers['content-type']) !== operation.contentType) {
        throw ebErrors.invalidArgument(`The Content-Type must be ${operation.contentType}, got ${headers['content-type'] ?? 'none'}.`);
      }
      if (tooLarge) throw ebErrors.invalidArgument(`The request body exceeds ${MAX_REQUEST_BYTES} bytes.`);
      let parsed: unknown;
      try {
        parsed = JSON.parse(body.toString('utf8'));
      } catch {
        throw ebErrors.invalidArgument('The request body is not valid JSON.');
      }
      const result = await operation.run({
        accountId: this.accountId,
        body: parsed,
        bodyBytes: body.length,
        store: this.store,
        faults: this.faults,
        now: this.now,
      });
      record.entries = result.entries;
      record.failed = result.failed;
      payload = { RequestId: requestId, ...result.body };
    } catch (error) {
      const apiError = error instanceof EventBridgeApiError ? error : ebErrors.internal();
      if (!(error instanceof EventBridgeApiError)) {
        process.stderr.write(`${JSON.stringify({ level: 'error', msg: 'eventbridge operation failure', error: String(error) })}\n`);
      }
      status = apiError.status;
      record.code = apiError.code;
      payload = { requestId, code: apiError.code, message: apiError.message, success: false };
    }
    record.status = status;
    this.calls.push(record);
    if (this.calls.length > MAX_CALL_RECORDS) this.calls.splice(0, this.calls.length - MAX_CALL_RECORDS);
    response
      .writeHead(status, { 'content-type': 'application/json;charset=utf-8', 'x-acs-request-id': requestId })
      .end(JSON.stringify(payload));
  }

  /** Throws the gateway's answer unless the request is signed with the emulator's key, dated now and, for STS, carries its token. */
  private authenticate(method: string, url: URL, headers: Record<string, string>, body: Buffer): void {
    const claim = parseAuthorization(headers['authorization']);
    if (!claim) throw ebErrors.missingAuthorization();
    if (claim.accessKeyId !== this.key.accessKeyId) throw ebErrors.accessKeyNotFound();
    const headerKeyId = headers['x-acs-accesskey-id'];
    if (headerKeyId !== undefined && headerKeyId !== claim.accessKeyId) throw ebErrors.accessKeyNotFound();
    const query = Object.fromEntries(url.searchParams.entries());
    if (!signatureMatches(this.key.accessKeySecret, { method, pathname: url.pathname, query, headers }, claim.signature)) {
      throw ebErrors.signatureDoesNotMatch();
    }
    if (!contentMd5Matches(headers['content-md5'], body)) throw ebErrors.invalidArgument('The Content-MD5 header does not match the request body.');
    const date = headers['date'] ?? '';
    const signedAt = Date.parse(date);
    if (Number.isNaN(signedAt) || Math.abs(this.now().getTime() - signedAt) > DATE_TOLERANCE_MS) throw ebErrors.requestTimeTooSkewed(date);
    // A key registered with a token needs exactly that token; a plain key takes any (or none).
    const token = headers['x-acs-security-token'];
    if (this.key.securityToken !== undefined && token !== this.key.securityToken) throw ebErrors.securityTokenInvalid();
  }
}

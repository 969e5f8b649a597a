// Invoker port on `@alicloud/fc2`: fires FC 3.0 asynchronous invocations (the reconciler's per-region
// fan-out and its continuation). fc2 speaks the FC 2.0 API; pointing its `version` at 2023-03-30 and
// posting to `/functions/<name>/invocations` yields the FC 3.0 path, signed by fc2 itself.
import fc2Module from '@alicloud/fc2';
import type { Invoker } from '../domain/ports.js';
import type { CredentialsSource } from '../credentials.js';
import { GovernorError } from '../domain/errors.js';

/** FC 3.0 OpenAPI version: the path prefix of every FC 3.0 call. */
export const FC3_API_VERSION = '2023-03-30';
/** The FC API actions (RAM actions `fc:<Action>`) the invoker calls. */
export const FC_ACTIONS = ['InvokeFunction'] as const;
/** FC refuses async payloads above 128 KB (EntityTooLarge); refuse them before sending. */
export const ASYNC_PAYLOAD_LIMIT_BYTES = 128 * 1024;

interface Fc2Response {
  headers: Record<string, string | string[] | undefined>;
  data: unknown;
}
interface Fc2Client {
  version: string;
  post(path: string, body: unknown, headers?: Record<string, string>): Promise<Fc2Response>;
}
type Fc2Ctor = new (
  accountId: string,
  config: {
    accessKeyID: string;
    accessKeySecret: string;
    securityToken?: string;
    region: string;
    endpoint?: string;
    secure?: boolean;
    timeout?: number;
    headers?: Record<string, string>;
  },
) => Fc2Client;

// CommonJS package: Node/tsx/vitest hand over module.exports (the class); esbuild bundles may hand a
// namespace whose `default` is the class.
const FcClient: Fc2Ctor = ((fc2Module as unknown as { default?: Fc2Ctor }).default ?? fc2Module) as unknown as Fc2Ctor;

export interface FcInvokerOptions {
  readonly accountId: string;
  readonly region: string;
  /** `http(s)://host[:port]` (scheme included); default the regional endpoint over HTTPS. */
  readonly endpoint?: string;
  readonly credentials: CredentialsSource;
  readonly timeoutMs?: number;
}

export function createFcInvoker(options: FcInvokerOptions): Invoker {
  return {
    async invokeAsync(functionName: string, payload: unknown): Promise<void> {
      const body = JSON.stringify(payload);
      if (Buffer.byteLength(body, 'utf8') > ASYNC_PAYLOAD_LIMIT_BYTES) {
        throw new GovernorError('Internal', 'Async invocation payload exceeds 128 KB', { details: { functionName } });
      }
      const creds = options.credentials();
      // fc2 sends the token only for AccessKey ids that start with "STS" (FC role keys do). A token
      // beside a key of another shape would be dropped silently, so send it as the signed header.
      const stsShaped = creds.accessKeyId.startsWith('STS');
      const client = new FcClient(options.accountId, {
        accessKeyID: creds.accessKeyId,
        accessKeySecret: creds.accessKeySecret,
        ...(stsShaped && creds.securityToken ? { securityToken: creds.securityToken } : {}),
        ...(!stsShaped && creds.securityToken ? { headers: { 'x-fc-security-token': creds.securityToken } } : {}),
        region: options.region,
        ...(options.endpoint ? { endpoint: options.endpoint } : { secure: true }),
        timeout: options.timeoutMs ?? 10_000,
      });
      client.version = FC3_API_VERSION;
      try {
        // A string body goes out as application/octet-stream: FC hands the bytes to the function
        // unchanged as its event Buffer.
        await client.post(`/functions/${encodeURIComponent(functionName)}/invocations`, body, {
          'x-fc-invocation-type': 'Async',
        });
      } catch (error) {
        const code = (error as { code?: unknown }).code;
        throw new GovernorError('UpstreamUnavailable', `Async invocation of ${functionName} failed`, {
          details: { functionName, ...(typeof code === 'string' ? { fcCode: code } : {}) },
          cause: error,
        });
      }
    },
  };
}

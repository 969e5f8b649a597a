/**
 * The one error factory of the EventBridge emulator. A refused request leaves as
 * `{requestId, code, message, success: false}` with the HTTP status EventBridge documents, which is
 * what the `@alicloud/eventbridge` SDK reads (`code`, `requestId`, `message`) into the error it throws.
 * A refused entry of an accepted request is not an error but a line of the answer: `entryErrors`.
 */
export class EventBridgeApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'EventBridgeApiError';
  }
}

export const ebErrors = {
  // Authentication (documented codes and messages; see README "Differences" for the choices).
  missingAuthorization: () =>
    new EventBridgeApiError(403, 'SignatureDoesNotMatch', 'The request carries no Authorization header of the form acs:<AccessKeyId>:<Signature>.'),
  accessKeyNotFound: () => new EventBridgeApiError(403, 'InvalidAccessKeyId', 'The access Id you provided is not exist.'),
  // Without the server's string to sign: it holds x-acs-security-token, a credential.
  signatureDoesNotMatch: () =>
    new EventBridgeApiError(
      403,
      'SignatureDoesNotMatch',
      'The request signature we calculated does not match the signature you provided. Check your key and signing method.',
    ),
  securityTokenInvalid: () => new EventBridgeApiError(403, 'SecurityTokenInvalid', 'The Security token that your provide is invalid.'),
  requestTimeTooSkewed: (date: string) =>
    new EventBridgeApiError(403, 'RequestTimeTooSkewed', `The Date header is missing, unreadable or more than 15 minutes from the server time: ${date}`),

  // The request as a whole.
  apiNotFound: (method: string, pathname: string) => new EventBridgeApiError(404, 'ApiNotFound', `No API answers ${method} ${pathname}.`),
  invalidArgument: (detail: string) => new EventBridgeApiError(400, 'InvalidArgument', detail),
  moreThanOneBus: (buses: readonly string[]) =>
    new EventBridgeApiError(409, 'PutEventsRequestMoreThanOneEventBus', `The put events request has more than one event bus [${buses.join(', ')}].`),
  throttled: () => new EventBridgeApiError(429, 'TooManyRequests', 'The request is denied by flow limiter for too many requests.'),
  internal: () => new EventBridgeApiError(500, 'InternalError', 'The request processing has failed due to some unknown error.'),
} as const;

/** Why one entry of an accepted PutEvents request was not put on its bus. */
export interface EntryError {
  readonly code: string;
  readonly message: string;
}

export const entryErrors = {
  invalid: (detail: string): EntryError => ({ code: 'InvalidArgument', message: detail }),
  busNotFound: (bus: string): EntryError => ({ code: 'EventBusNotExist', message: `The event bus [${bus}] not existed!` }),
} as const;

/** Default HTTP status for an injected request fault whose status was not given. */
export function defaultStatusForCode(code: string): number {
  if (code === 'TooManyRequests' || code.startsWith('Throttling')) return 429;
  if (code === 'ServiceUnavailable') return 503;
  return 500;
}

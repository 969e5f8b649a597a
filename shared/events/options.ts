// What configures each sink, and the rules on it. loadConfig checks them at cold start (a ConfigError
// naming the variable, before any traffic), and each sink checks them again when it is built, so a sink
// made in code meets the same rules. Importing this file loads no sink and no SDK.
import { ConfigError, ENVIRONMENT, HOST_PORT_PATTERN, SINK_TIMEOUT_LIMITS } from '../environment.js';
import { isLoopbackHost } from '../loopback.js';

/** Shorter webhook secrets are refused: an HMAC key guessed is a forged event. */
const MIN_SECRET_LENGTH = 16;

/** The product's naming rules for a custom event bus: 1 to 127 letters, digits and hyphens, starting with a letter or digit. */
const BUS_PATTERN = /^[A-Za-z0-9][A-Za-z0-9-]{0,126}$/;

export interface WebhookSettings {
  /** WEBHOOK_URL: https, or http to a loopback host; no user name or password in it. */
  readonly url: string;
  /** WEBHOOK_SECRET: the HMAC-SHA256 key, at least MIN_SECRET_LENGTH characters. Never logged, never in an error. */
  readonly secret: string;
  /** WEBHOOK_CONNECT_TIMEOUT_MS: TCP connect (and TLS handshake) of one delivery. */
  readonly connectTimeoutMs?: number;
  /** WEBHOOK_TIMEOUT_MS: one delivery from first byte to response headers. */
  readonly timeoutMs?: number;
}

export interface CheckedWebhook {
  /** The URL as parsed (normalised). */
  readonly url: string;
  readonly secret: string;
  readonly connectTimeoutMs: number;
  readonly timeoutMs: number;
  /** Where it delivers, safe to log and show: the URL's origin. */
  readonly target: string;
}

export interface EventBridgeSettings {
  /** EVENTBRIDGE_ENDPOINT: `host[:port]` without a scheme, e.g. `<accountId>.eventbridge.cn-hangzhou.aliyuncs.com`. */
  readonly endpoint: string;
  /** EVENTBRIDGE_BUS: the custom bus the events are put on. */
  readonly bus: string;
  /** EVENTBRIDGE_PROTOCOL: default https; http only to a loopback endpoint (the local emulator). */
  readonly protocol?: 'https' | 'http';
  readonly connectTimeoutMs?: number;
  readonly readTimeoutMs?: number;
}

export interface CheckedEventBridge {
  readonly endpoint: string;
  readonly bus: string;
  readonly protocol: 'https' | 'http';
  readonly connectTimeoutMs: number;
  readonly readTimeoutMs: number;
  /** Safe to log and show: bus and endpoint. */
  readonly target: string;
}

/** `value` (or the variable's declared default when unset) as a timeout within SINK_TIMEOUT_LIMITS; a ConfigError naming `variable` otherwise. */
function checkedTimeout(
  variable: 'WEBHOOK_CONNECT_TIMEOUT_MS' | 'WEBHOOK_TIMEOUT_MS' | 'EVENTBRIDGE_CONNECT_TIMEOUT_MS' | 'EVENTBRIDGE_READ_TIMEOUT_MS',
  value: number | undefined,
): number {
  const ms = value ?? (ENVIRONMENT[variable].default as number);
  if (!Number.isInteger(ms) || ms < SINK_TIMEOUT_LIMITS.min || ms > SINK_TIMEOUT_LIMITS.max) {
    throw new ConfigError(variable, `must be an integer from ${SINK_TIMEOUT_LIMITS.min} to ${SINK_TIMEOUT_LIMITS.max} milliseconds`);
  }
  return ms;
}

function checkedUrl(raw: string): URL {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ConfigError('WEBHOOK_URL', 'must be an absolute https URL');
  }
  if (url.username !== '' || url.password !== '') {
    // They would travel with every delivery and into every log line that names the target.
    throw new ConfigError('WEBHOOK_URL', 'must not carry a user name or password; the signature authenticates the sender');
  }
  if (url.protocol === 'http:' && !isLoopbackHost(url.hostname)) {
    throw new ConfigError('WEBHOOK_URL', `must use https (plain http only to a loopback host), got http://${url.host}`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new ConfigError('WEBHOOK_URL', `must use https, got ${url.protocol}`);
  return url;
}

/** The webhook settings, checked. Throws ConfigError naming WEBHOOK_URL, WEBHOOK_SECRET or a timeout. */
export function checkWebhook(settings: WebhookSettings): CheckedWebhook {
  const url = checkedUrl(settings.url);
  const secret = settings.secret;
  if (typeof secret !== 'string' || secret.length < MIN_SECRET_LENGTH) {
    throw new ConfigError('WEBHOOK_SECRET', `must be at least ${MIN_SECRET_LENGTH} characters (24 or more random bytes recommended)`);
  }
  return {
    url: url.href,
    secret,
    connectTimeoutMs: checkedTimeout('WEBHOOK_CONNECT_TIMEOUT_MS', settings.connectTimeoutMs),
    timeoutMs: checkedTimeout('WEBHOOK_TIMEOUT_MS', settings.timeoutMs),
    target: url.origin,
  };
}

/** The EventBridge settings, checked. Throws ConfigError naming EVENTBRIDGE_ENDPOINT, EVENTBRIDGE_BUS, EVENTBRIDGE_PROTOCOL or a timeout. */
export function checkEventBridge(settings: EventBridgeSettings): CheckedEventBridge {
  const { endpoint, bus } = settings;
  if (typeof endpoint !== 'string' || !new RegExp(HOST_PORT_PATTERN).test(endpoint)) {
    throw new ConfigError('EVENTBRIDGE_ENDPOINT', 'must be host[:port] without a scheme, e.g. 1234567890123456.eventbridge.cn-hangzhou.aliyuncs.com');
  }
  if (typeof bus !== 'string' || !BUS_PATTERN.test(bus)) {
    throw new ConfigError('EVENTBRIDGE_BUS', 'must be an event bus name: 1 to 127 letters, digits and hyphens, starting with a letter or digit');
  }
  const protocol = settings.protocol ?? ENVIRONMENT.EVENTBRIDGE_PROTOCOL.default;
  if (protocol !== 'https' && !(protocol === 'http' && isLoopbackHost(new URL(`http://${endpoint}`).hostname))) {
    throw new ConfigError('EVENTBRIDGE_PROTOCOL', `must be https (http only to a loopback endpoint), got ${String(protocol)} for ${endpoint}`);
  }
  return {
    endpoint,
    bus,
    protocol,
    connectTimeoutMs: checkedTimeout('EVENTBRIDGE_CONNECT_TIMEOUT_MS', settings.connectTimeoutMs),
    readTimeoutMs: checkedTimeout('EVENTBRIDGE_READ_TIMEOUT_MS', settings.readTimeoutMs),
    target: `bus ${bus} at ${endpoint}`,
  };
}

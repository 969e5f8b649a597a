// The FC 3.0 HTTP shapes this layer speaks: the events the handler is handed (an HTTP trigger's, or
// API Gateway's to an event function), the context, and the response object the handler returns
// (always the full shape: status code, headers, body and its encoding).
import type { Credentials } from '../credentials.js';

export interface FcHttpEvent {
  readonly version?: string;
  readonly rawPath?: string;
  readonly body?: string;
  readonly isBase64Encoded?: boolean;
  readonly headers?: Readonly<Record<string, string>>;
  readonly queryParameters?: Readonly<Record<string, string>>;
  readonly requestContext?: {
    readonly requestId?: string;
    readonly http?: { readonly method?: string; readonly path?: string; readonly sourceIp?: string; readonly userAgent?: string };
    readonly [k: string]: unknown;
  };
}

/**
 * What API Gateway hands an FC *event* function it fronts (its documented JSON event). Its answer is
 * the same `{statusCode, headers, body, isBase64Encoded}` an HTTP trigger takes (HttpResponse).
 */
export interface ApiGatewayEvent {
  readonly path?: string;
  readonly httpMethod?: string;
  readonly headers?: Readonly<Record<string, string>>;
  readonly queryParameters?: Readonly<Record<string, string>>;
  readonly pathParameters?: Readonly<Record<string, string>>;
  readonly body?: string;
  /** Documented as "true|false"; a boolean or its string. */
  readonly isBase64Encoded?: boolean | string;
}

export interface FcContext {
  readonly requestId?: string;
  readonly credentials?: Partial<Credentials>;
  readonly function?: { readonly name?: string; readonly handler?: string; readonly memory?: number; readonly timeout?: number };
  readonly region?: string;
  readonly accountId?: string;
  readonly [k: string]: unknown;
}

export interface HttpResponse {
  statusCode: number;
  headers: Record<string, string>;
  body: string;
  isBase64Encoded: boolean;
}

/** A parsed request: lower-case header names, decoded path segments, raw body bytes. */
export interface HttpRequest {
  readonly method: string;
  /** Decoded segments of the path (an encoded `/` stays inside its segment). */
  readonly segments: readonly string[];
  /** The path as received, for logs and fingerprints. */
  readonly path: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly query: Readonly<Record<string, string>>;
  readonly body: Buffer;
}

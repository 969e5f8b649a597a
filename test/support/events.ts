/**
 * For the event sink tests: audit events and their CloudEvents, and a real HTTP receiver on port 0
 * that records every request and answers as the test says.
 */
import { type IncomingHttpHeaders, type IncomingMessage, type ServerResponse, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { AuditEvent } from '../../shared/domain/model.js';
import { type CloudEvent, toCloudEvent } from '../../shared/events/envelope.js';

export function auditEvent(overrides: Partial<AuditEvent> = {}): AuditEvent {
  return {
    eventId: '0f1e2d3c4b5a69788796a5b4c3d2e1f0',
    regionId: 'cn-hangzhou',
    imageId: 'm-bp1eventsimage01',
    at: '2026-03-01T10:00:00.000Z',
    principal: 'alice',
    action: 'share.requested',
    accountId: '2000000000000001',
    after: 'pending_approval',
    requestId: 'req-1',
    shareRequestId: 'sr-1',
    reason: 'partner rollout',
    ticket: 'CHG-42',
    ...overrides,
  };
}

/** `count` CloudEvents with ids ev-0, ev-1, … */
export function cloudEvents(count: number, overrides: Partial<AuditEvent> = {}): CloudEvent[] {
  return Array.from({ length: count }, (_, i) => toCloudEvent(auditEvent({ eventId: `ev-${i}`, ...overrides })));
}

export interface ReceivedRequest {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  /** The raw body exactly as it arrived. */
  body: string;
}

export type Answer = (request: ReceivedRequest, response: ServerResponse) => void;

export interface Receiver {
  /** `http://127.0.0.1:<port>/hook` */
  readonly url: string;
  readonly requests: ReceivedRequest[];
  /** How the next requests are answered (default 204). */
  answer(answer: Answer): void;
  /** Resolves once `count` requests have arrived in all. */
  received(count: number): Promise<void>;
  close(): Promise<void>;
}

export async function startReceiver(): Promise<Receiver> {
  const requests: ReceivedRequest[] = [];
  const waiters: { count: number; resolve: () => void }[] = [];
  let answer: Answer = (_request, response) => response.writeHead(204).end();
  const server = createServer((request: IncomingMessage, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const received = { method: request.method ?? '', url: request.url ?? '', headers: request.headers, body: Buffer.concat(chunks).toString('utf8') };
      requests.push(received);
      for (const w of waiters.filter((w) => requests.length >= w.count)) w.resolve();
      answer(received, response);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/hook`,
    requests,
    answer(next) {
      answer = next;
    },
    received: (count) => (requests.length >= count ? Promise.resolve() : new Promise<void>((resolve) => waiters.push({ count, resolve }))),
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

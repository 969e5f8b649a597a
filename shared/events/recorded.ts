// Which audit events the current request (or reconcile invocation) recorded: the domain reports each
// append it wrote (DomainDeps.onAudited), and this scope, one per invocation, collects them, so the
// events reach the dispatcher from memory, without reading the outbox back.
import { AsyncLocalStorage } from 'node:async_hooks';
import type { AuditEvent } from '../domain/model.js';

const scope = new AsyncLocalStorage<AuditEvent[]>();

/** Runs `work`, adding to `recorded` every audit event appended meanwhile within it. */
export function collectingRecorded<T>(recorded: AuditEvent[], work: () => Promise<T>): Promise<T> {
  return scope.run(recorded, work);
}

/** DomainDeps.onAudited: the events go to the scope they were appended in; outside any scope, nowhere. */
export function noteRecorded(events: readonly AuditEvent[]): void {
  scope.getStore()?.push(...events);
}

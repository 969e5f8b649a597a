// What every use case and state transition receives: who acts (Ctx) and the ports it acts through.
import { randomUUID } from 'node:crypto';
import type { Policy } from './policy.js';
import type { Clock, DirectoryPort, ImagePort, Logger, StorePort } from './ports.js';
import type { AuditEvent, Principal, ShareChannel } from './model.js';
import { ECS_SHARE_LIMIT } from './model.js';
import { DIRECTORY_TARGET_CEILING } from './limits.js';

/** Who is acting and which request (HTTP/FC request id, or reconcile run id) the audit trail records. */
export interface Ctx {
  readonly principal: Principal;
  readonly requestId: string;
}

export interface GovernorDeps {
  readonly store: StorePort;
  readonly images: ImagePort;
  /** The directory channel: Resource Sharing and the resource directory. */
  readonly directory: DirectoryPort;
  readonly clock: Clock;
  readonly policy: Policy;
  /** Unique ids for requests and audit events; default a random UUID without dashes. */
  readonly newId?: () => string;
  readonly logger?: Logger;
  /** Told of the events each audit append wrote (not those it had to hold): their publication starts there. */
  readonly onAudited?: (events: readonly AuditEvent[]) => void;
}

/** GovernorDeps with the optional parts filled in; what the state-transition helpers take. */
export interface DomainDeps {
  readonly store: StorePort;
  readonly images: ImagePort;
  readonly directory: DirectoryPort;
  readonly clock: Clock;
  readonly policy: Policy;
  readonly newId: () => string;
  readonly logger: Logger;
  readonly onAudited: (events: readonly AuditEvent[]) => void;
}

const silentLogger: Logger = { info() {}, warn() {}, error() {} };

export const defaultNewId = (): string => randomUUID().replace(/-/g, '');

export function resolveDeps(deps: GovernorDeps | DomainDeps): DomainDeps {
  return {
    store: deps.store,
    images: deps.images,
    directory: deps.directory,
    clock: deps.clock,
    policy: deps.policy,
    newId: deps.newId ?? defaultNewId,
    logger: deps.logger ?? silentLogger,
    onAudited: deps.onAudited ?? (() => undefined),
  };
}

/** Principal ids the service's own actors use; no caller may present one (the state machine names `system:reconcile`). */
export const SYSTEM_PRINCIPAL_PREFIX = 'system:';

/** The principal the reconciler acts as (audit events show it). */
export const systemPrincipal = (name: string): Principal => ({ id: `${SYSTEM_PRINCIPAL_PREFIX}${name}`, roles: [] });

/** The per-image account-share limit in force: the policy's, never above the ECS ceiling. */
export const shareLimit = (policy: Policy): number => Math.min(policy.maxSharesPerImage, ECS_SHARE_LIMIT);

/** The per-image limit of a channel's counter: accounts (shareLimit), or directory targets. */
export const channelLimit = (policy: Policy, channel: ShareChannel): number =>
  channel === 'account' ? shareLimit(policy) : Math.min(policy.maxDirectoryTargetsPerImage, DIRECTORY_TARGET_CEILING);

// The API's answers as the console reads them: the domain's own types (type-only: nothing of the
// domain is bundled), plus what the next API versions add — a share's channel and target, a
// request's directory targets, the findings of a run — read when present.
import type { Drift, ImageDescription } from '../../shared/domain/governor.js';
import type { AuditEvent, ImageRecord, Page, ReconcileRun, Share, ShareRequest } from '../../shared/domain/model.js';

export type { AuditEvent, ImageRecord, Page, ReconcileRun };

/** `account` (ModifyImageSharePermission) or `directory` (Resource Directory resource sharing). */
export interface Channelled {
  readonly channel?: string;
  readonly target?: string;
  readonly accountId?: string;
}

export type ConsoleShare = Share & Channelled;
export type ConsoleDrift = Drift & Channelled;
export type ConsoleRequest = ShareRequest & { readonly directoryTargets?: readonly string[] };
export type ConsoleImage = Omit<ImageDescription, 'shares' | 'drift' | 'pendingRequests'> & {
  readonly shares: readonly ConsoleShare[];
  readonly drift: readonly ConsoleDrift[];
  readonly pendingRequests: readonly ConsoleRequest[];
};

/** One finding of a reconcile run (design: "Findings, not counts"). */
export interface Finding extends Channelled {
  readonly kind: string;
  readonly regionId: string;
  readonly imageId: string;
  readonly detail?: string;
  /** What enforce mode did; `none` in report mode. */
  readonly action: string;
  readonly at: string;
}

/** What GET /console/settings.json says. */
export interface Settings {
  readonly signIn: {
    readonly issuer: string;
    readonly clientId: string;
    readonly scopes: readonly string[];
    readonly audience: string;
    readonly audienceParameter: 'audience' | 'resource' | 'none';
  } | null;
  readonly rolesClaim: string;
  readonly regions: readonly string[];
}

/** What every emulated operation of every product receives and returns. */
import type { DirectoryStore } from './resourcemanager/store.js';
import type { ResourceShareStore } from './resourcesharing/store.js';
import type { EcsStore } from './store.js';
import type { RoleStore } from './sts/store.js';

export interface OperationContext {
  /** The authenticated caller. */
  accountId: string;
  /** Operation parameters (signing envelope removed), as strings. */
  params: Record<string, string>;
  /** The Host header the request was sent to (regional products may name their region in it). */
  host: string;
  /** Accounts, keys and images (ECS). */
  store: EcsStore;
  /** The resource directory (Resource Manager). */
  directory: DirectoryStore;
  /** Resource shares (Resource Sharing). */
  resourceShares: ResourceShareStore;
  /** Assumable roles (STS). */
  roles: RoleStore;
  now: () => Date;
}

/** The response body without RequestId (the server adds it). */
export type OperationBody = Record<string, unknown>;
export type Operation = (context: OperationContext) => OperationBody;

// What a view gets: the API, the signed-in user and what they may do, the page's settings, the clock.
import type { Api } from './api.js';
import type { Child } from './dom.js';
import type { Session } from './session.js';
import type { Settings } from './types.js';

export interface App {
  readonly api: Api;
  readonly session: Session;
  readonly settings: Settings;
  /** Whether the user's roles allow the operation (the API decides all the same). */
  may(operationId: string): boolean;
  now(): number;
}

/** A view renders what the address names; `params` are the decoded parts the route captured. */
export type View = (app: App, params: readonly string[]) => Promise<Child>;

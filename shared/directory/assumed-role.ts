// Credentials of a RAM role assumed through STS, for reading the resource directory as its
// management account. One AssumeRole call serves until the session is about to expire; concurrent
// callers wait for the same call. Failures are GovernorErrors (UpstreamUnavailable: the role is our
// configuration), never credentials that were not issued.
import type { Credentials } from '../credentials.js';
import { GovernorError } from '../domain/errors.js';
import type { DirectoryApi } from './api.js';

export interface AssumedRoleOptions {
  readonly roleArn: string;
  /** 2..32 letters, digits and `.@-_`; default `image-share-governor`. */
  readonly sessionName?: string;
  /** 1800 .. the role's maximum; default 3600. A shorter session would be renewed before every call. */
  readonly durationSeconds?: number;
  readonly nowMs?: () => number;
}

/** A session is renewed when less than this is left of it (as @alicloud/credentials does). */
export const RENEW_BEFORE_EXPIRY_MS = 15 * 60 * 1000;
const SESSION_NAME = /^[A-Za-z0-9.@_-]{2,32}$/;
const ROLE_ARN = /^acs:ram::\d{16}:role\/[A-Za-z0-9.@_-]{1,64}$/;

export class AssumedRole {
  private session: { credentials: Credentials; expiresAtMs: number } | undefined;
  private pending: Promise<Credentials> | undefined;
  private readonly sessionName: string;
  private readonly durationSeconds: number;
  private readonly nowMs: () => number;

  constructor(
    private readonly api: () => DirectoryApi,
    private readonly opts: AssumedRoleOptions,
  ) {
    this.sessionName = opts.sessionName ?? 'image-share-governor';
    this.durationSeconds = opts.durationSeconds ?? 3600;
    this.nowMs = opts.nowMs ?? Date.now;
    if (!ROLE_ARN.test(opts.roleArn)) throw new RangeError(`roleArn must look like acs:ram::<account id>:role/<name>, got ${opts.roleArn}`);
    if (!SESSION_NAME.test(this.sessionName)) throw new RangeError('sessionName must be 2..32 letters, digits and .@-_');
    if (!Number.isInteger(this.durationSeconds) || this.durationSeconds * 1000 < 2 * RENEW_BEFORE_EXPIRY_MS) {
      throw new RangeError(`durationSeconds must be an integer ≥ ${(2 * RENEW_BEFORE_EXPIRY_MS) / 1000}`);
    }
  }

  /** The current session's credentials, assuming the role again when it is near its end. */
  readonly credentials = (): Promise<Credentials> => {
    const session = this.session;
    if (session && session.expiresAtMs - this.nowMs() > RENEW_BEFORE_EXPIRY_MS) return Promise.resolve(session.credentials);
    this.pending ??= this.assume().finally(() => {
      this.pending = undefined;
    });
    return this.pending;
  };

  private async assume(): Promise<Credentials> {
    const answer = await this.api().assumeRole({
      RoleArn: this.opts.roleArn,
      RoleSessionName: this.sessionName,
      DurationSeconds: this.durationSeconds,
    });
    const issued = answer.Credentials;
    const expiresAtMs = Date.parse(issued?.Expiration ?? '');
    if (!issued?.AccessKeyId || !issued.AccessKeySecret || !issued.SecurityToken || Number.isNaN(expiresAtMs)) {
      throw new GovernorError('UpstreamUnavailable', 'STS answered AssumeRole without usable credentials', {
        details: { action: 'AssumeRole', roleArn: this.opts.roleArn },
      });
    }
    const credentials = { accessKeyId: issued.AccessKeyId, accessKeySecret: issued.AccessKeySecret, securityToken: issued.SecurityToken };
    this.session = { credentials, expiresAtMs };
    return credentials;
  }
}

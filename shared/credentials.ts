// Credentials for the adapters. In Function Compute they are the function role's STS keys from
// each invocation's context (instances outlive one token); locally they come from the environment.

export interface Credentials {
  readonly accessKeyId: string;
  readonly accessKeySecret: string;
  readonly securityToken?: string;
}

/** Adapters keep an SDK client while the credentials stay the same and build a new one when they change. */
export const sameCredentials = (a: Credentials, b: Credentials): boolean =>
  a.accessKeyId === b.accessKeyId && a.accessKeySecret === b.accessKeySecret && a.securityToken === b.securityToken;

/** Adapters ask for credentials at call time, so a refreshed STS token is picked up at once. */
export type CredentialsSource = () => Credentials;

/** A source the composition root points at each invocation's `context.credentials`. */
export class InvocationCredentials {
  private current: Credentials | undefined;

  constructor(private readonly fallback: () => Credentials | undefined) {}

  /** Call at the start of every invocation with FC's `context.credentials` (`{}` without a role). */
  update(fromContext: Partial<Credentials> | undefined): void {
    if (fromContext?.accessKeyId && fromContext.accessKeySecret) {
      this.current = {
        accessKeyId: fromContext.accessKeyId,
        accessKeySecret: fromContext.accessKeySecret,
        ...(fromContext.securityToken ? { securityToken: fromContext.securityToken } : {}),
      };
    }
  }

  readonly source: CredentialsSource = () => {
    const creds = this.current ?? this.fallback();
    if (!creds) throw new Error('No credentials: the function has no role and ALIBABA_CLOUD_ACCESS_KEY_ID is unset');
    return creds;
  };
}

/** The `@alicloud/credentials` default-chain variables, as FC sets them and as a developer would locally. */
export function credentialsFromEnv(env: Readonly<Record<string, string | undefined>>): Credentials | undefined {
  const accessKeyId = env.ALIBABA_CLOUD_ACCESS_KEY_ID;
  const accessKeySecret = env.ALIBABA_CLOUD_ACCESS_KEY_SECRET;
  if (!accessKeyId || !accessKeySecret) return undefined;
  const securityToken = env.ALIBABA_CLOUD_SECURITY_TOKEN;
  return { accessKeyId, accessKeySecret, ...(securityToken ? { securityToken } : {}) };
}

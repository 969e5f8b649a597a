/**
 * RAM roles that the emulated STS lets callers assume. A role belongs to a registered account and
 * trusts a list of accounts; AssumeRole by a key of a trusted account issues a temporary key of
 * the role's account (see sts/assume-role.ts).
 */

export interface Role {
  roleArn: string;
  accountId: string;
  roleName: string;
  trustedAccountIds: ReadonlySet<string>;
  maxSessionDurationSeconds: number;
}

export const roleArnOf = (accountId: string, roleName: string): string => `acs:ram::${accountId}:role/${roleName.toLowerCase()}`;

export class RoleStore {
  private roles = new Map<string, Role>();

  reset(): void {
    this.roles.clear();
  }

  /** Adds or replaces a role; returns its ARN. */
  put(role: Omit<Role, 'roleArn'>): string {
    const roleArn = roleArnOf(role.accountId, role.roleName);
    this.roles.set(roleArn, { ...role, roleArn });
    return roleArn;
  }

  /** Role names are case-insensitive in ARNs, as in RAM. */
  find(roleArn: string): Role | undefined {
    const match = /^acs:ram::(\d{16}):role\/(.+)$/.exec(roleArn);
    return match ? this.roles.get(roleArnOf(match[1]!, match[2]!)) : undefined;
  }
}

// A valid policy for domain tests; override only what the test is about.
import type { Policy } from '../../shared/domain/policy.js';

export const OWNER_ACCOUNT = '1000000000000001';
export const MANAGED_REGION = 'cn-hangzhou';

export function testPolicy(overrides: Partial<Policy> = {}): Policy {
  return {
    regions: [MANAGED_REGION, 'cn-shanghai'],
    ownerAccountId: OWNER_ACCOUNT,
    approvalRequired: true,
    approvalExemptAccounts: [],
    allowAccounts: [],
    denyAccounts: [],
    maxSharesPerImage: 50,
    allowFolders: [],
    denyFolders: [],
    allowDirectoryWideShares: false,
    maxDirectoryTargetsPerImage: 10,
    maxShareDurationDays: 90,
    defaultShareDurationDays: 30,
    pendingRequestTtlHours: 72,
    denyImageTags: [{ key: 'share-policy', value: 'deny' }],
    requireImageTags: [],
    allowPublicImages: false,
    reconcileMode: 'report',
    unmanagedShares: 'report',
    intentGraceSeconds: 300,
    ...overrides,
  };
}

// What the Resource Sharing, Resource Manager and STS error codes mean in the governance vocabulary.
// Everything unmapped (signature, RAM, NotEnableSharingWithResourceDirectory, a role that cannot be
// assumed, ...) is our configuration, not the caller's: UpstreamUnavailable (shared/alicloud/failure.ts).
import type { ErrorCode } from '../domain/errors.js';
import type { UpstreamService } from '../alicloud/failure.js';

const RESOURCE_SHARING_CODES: Readonly<Record<string, ErrorCode>> = {
  InvalidTarget: 'UnknownAccount',
  AccountNotInResourceDirectory: 'UnknownAccount',
  ShareWithYourself: 'CannotShareWithOwner',
  'EntityNotExists.ResourceShare': 'NotFound',
  'EntityAlreadyExists.ResourceShare': 'ShareAlreadyExists',
  AssociateConflict: 'ConcurrentModification',
  DisassociateConflict: 'ConcurrentModification',
  DeleteResourceShareConflict: 'ConcurrentModification',
  ResourceShareStatusMismatchAction: 'ConcurrentModification',
  ConcurrentExecutionError: 'ConcurrentModification',
};

/** Resource Sharing: errors carry `rsCode`, `rsStatus`, `rsRequestId`. */
export const RESOURCE_SHARING: UpstreamService = {
  name: 'Resource Sharing',
  detailPrefix: 'rs',
  mapCode: (code) => {
    if (code === undefined) return undefined;
    if (code.startsWith('InvalidTarget.')) return 'UnknownAccount';
    if (code.startsWith('QuotaExceeded.')) return 'ShareQuotaExceeded';
    return RESOURCE_SHARING_CODES[code];
  },
};

/** Resource Manager: errors carry `rmCode`, `rmStatus`, `rmRequestId`. */
export const RESOURCE_MANAGER: UpstreamService = {
  name: 'Resource Manager',
  detailPrefix: 'rm',
  mapCode: (code) => (code === 'EntityNotExists.Folder' || code === 'EntityNotExists.Account' ? 'UnknownAccount' : undefined),
};

/** STS: every refusal (unknown role, untrusted caller, bad duration) is our configuration. */
export const STS: UpstreamService = { name: 'STS', detailPrefix: 'sts', mapCode: () => undefined };

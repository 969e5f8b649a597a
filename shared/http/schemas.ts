// Every JSON schema of HTTP API v1, in one module: the functions compile the request schemas with
// ajv at load, and openapi.yaml and deploy/apigateway.yaml are generated from this module
// (scripts/openapi.ts), so the published contract and the enforced one cannot drift apart. Use only
// keywords OpenAPI 3.0 and Swagger 2.0 share (a nullable value is `type: [T, 'null']`): the
// generator stops on any other.
import { DIRECTORY_TARGET_PATTERN } from '../domain/directory.js';
import { ACCOUNT_IDS_PER_REQUEST, DIRECTORY_TARGETS_PER_REQUEST, NOT_BLANK_PATTERN, PAGE_SIZE, TEXT_LIMITS, type TextField } from '../domain/limits.js';
import { ACCOUNT_ID_PATTERN, FINDING_ACTIONS, FINDING_KINDS, IMAGE_ID_PATTERN, SHARE_CHANNELS, SINK_NAMES } from '../domain/model.js';

export const REGION_ID_PATTERN = '^[a-z]{2,}-[a-z0-9-]+$';
const OPAQUE_ID_PATTERN = '^[A-Za-z0-9._:-]{1,128}$';
export const IDEMPOTENCY_KEY_PATTERN = '^[A-Za-z0-9._:-]{1,128}$';
export const MAX_BODY_BYTES = 64 * 1024;
export const DEFAULT_PAGE_LIMIT = PAGE_SIZE.default;

export type JsonSchema = Record<string, unknown>;

const accountId = { type: 'string', pattern: ACCOUNT_ID_PATTERN, description: 'Alibaba Cloud account id (16 digits)' };
const { min: minAccounts, max: maxAccounts } = ACCOUNT_IDS_PER_REQUEST;
const accountIds = {
  type: 'array',
  minItems: minAccounts,
  maxItems: maxAccounts,
  uniqueItems: true,
  items: accountId,
  description: 'Account channel targets; with directoryTargets, at least one target in all (400 ValidationFailed otherwise)',
};
const directoryTarget = {
  type: 'string',
  pattern: DIRECTORY_TARGET_PATTERN,
  description: 'Directory channel target: the resource directory (rd-…), a folder (fd-…) or a member account id',
};
const directoryTargets = {
  type: 'array',
  minItems: DIRECTORY_TARGETS_PER_REQUEST.min,
  maxItems: DIRECTORY_TARGETS_PER_REQUEST.max,
  uniqueItems: true,
  items: directoryTarget,
  description: 'Directory channel targets (Resource Directory resource sharing)',
};
const channel = { enum: [...SHARE_CHANNELS], description: 'account: ModifyImageSharePermission; directory: Resource Directory resource sharing' };
const target = { type: 'string', description: 'An account id (account channel); rd-…, fd-… or a member account id (directory channel)' };
const resourceShareId = { type: 'string', description: 'Directory channel: the resource share (rs-…) that holds the target' };
/** What every share-shaped object names: the channel and the target, and accountId on the account channel for older clients. */
const shareTarget = { channel, target, accountId: { ...accountId, description: 'Account channel only: the same as target' } };
/** A free-text field as limits.ts defines it: not blank (which implies not empty), at most its length. */
const text = (field: TextField) => ({ type: 'string', pattern: NOT_BLANK_PATTERN, maxLength: TEXT_LIMITS[field] });
const reason = text('reason');
const limit = { type: 'integer', minimum: PAGE_SIZE.min, maximum: PAGE_SIZE.max, default: PAGE_SIZE.default };
const cursor = { type: 'string', minLength: 1, maxLength: 2048 };
const REQUEST_STATUSES = ['pending_approval', 'approved', 'applied', 'partially_applied', 'rejected', 'expired', 'cancelled', 'failed'];
const SHARE_STATES = ['pending_approval', 'approved', 'applying', 'active', 'revoking', 'revoked', 'rejected', 'expired', 'failed'];
const DELETION_STATUSES = ['none', 'draining', 'deleted', 'cancelled', 'failed'];
/** The delivery states the API lists: delivered ones are not kept once the catch-up has passed them. */
const LISTED_DELIVERY_STATUSES = ['failed', 'retrying'] as const;
const findingKind = { enum: [...FINDING_KINDS], description: 'Only findings of this kind' };

// ---- path parameters ----
export const PATH_PARAMETERS: Readonly<Record<string, JsonSchema>> = {
  regionId: { type: 'string', pattern: REGION_ID_PATTERN, description: 'A region managed by this service', example: 'cn-hangzhou' },
  imageId: { type: 'string', pattern: IMAGE_ID_PATTERN, description: 'ECS custom image id', example: 'm-bp1abcdefghijk' },
  requestId: { type: 'string', pattern: OPAQUE_ID_PATTERN, description: 'Share request id' },
  runId: { type: 'string', pattern: OPAQUE_ID_PATTERN, description: 'Reconcile run id' },
};

// ---- request bodies ----
export const REQUEST_BODIES = {
  ShareRequestBody: {
    type: 'object',
    additionalProperties: false,
    required: ['reason'],
    properties: {
      accountIds,
      directoryTargets,
      reason,
      ticket: text('ticket'),
      expiresAt: { type: 'string', format: 'date-time', description: 'When the shares expire (ISO-8601)' },
      attestation: {
        type: 'object',
        additionalProperties: false,
        required: ['sensitiveDataRemoved'],
        properties: { sensitiveDataRemoved: { type: 'boolean' } },
        description: 'Must attest sensitiveDataRemoved: true (422 AttestationRequired otherwise)',
      },
    },
    example: {
      accountIds: ['1234567890123456'],
      reason: 'Staging environment of team B',
      ticket: 'CHG-1234',
      attestation: { sensitiveDataRemoved: true },
    },
  },
  ApproveBody: {
    type: 'object',
    additionalProperties: false,
    properties: { comment: text('comment') },
    example: { comment: 'Looks good' },
  },
  RejectBody: {
    type: 'object',
    additionalProperties: false,
    required: ['comment'],
    properties: { comment: text('comment') },
    example: { comment: 'Not for production accounts' },
  },
  UnshareBody: {
    type: 'object',
    additionalProperties: false,
    required: ['reason'],
    properties: { accountIds, directoryTargets, reason },
    example: { accountIds: ['1234567890123456'], directoryTargets: ['fd-prod00001'], reason: 'Project ended' },
  },
  DeletionBody: {
    type: 'object',
    additionalProperties: false,
    required: ['mode', 'reason'],
    properties: {
      mode: { enum: ['guard', 'drain'] },
      reason,
      force: { type: 'boolean', description: 'Delete even if instances still use the image' },
    },
    example: { mode: 'drain', reason: 'Superseded by a newer image' },
  },
} as const satisfies Record<string, JsonSchema>;

// ---- query strings (values arrive as strings; the query validator coerces) ----
export const QUERIES = {
  DescribeImageQuery: {
    type: 'object',
    additionalProperties: false,
    properties: { live: { type: 'boolean', default: true, description: 'Compare with ECS now' } },
  },
  ListImagesQuery: {
    type: 'object',
    additionalProperties: false,
    properties: { regionId: PATH_PARAMETERS.regionId!, limit, cursor },
  },
  ListRequestsQuery: {
    type: 'object',
    additionalProperties: false,
    properties: { status: { enum: REQUEST_STATUSES }, limit, cursor },
  },
  PageQuery: {
    type: 'object',
    additionalProperties: false,
    properties: { limit, cursor },
  },
  RunFindingsQuery: {
    type: 'object',
    additionalProperties: false,
    properties: { kind: findingKind, limit, cursor },
  },
  PostureQuery: {
    type: 'object',
    additionalProperties: false,
    properties: { regionId: PATH_PARAMETERS.regionId!, kind: findingKind, limit, cursor },
  },
  ListDeliveriesQuery: {
    type: 'object',
    additionalProperties: false,
    properties: {
      status: { enum: LISTED_DELIVERY_STATUSES, default: 'failed', description: 'failed: dead letters; retrying: still being tried' },
      sink: { enum: SINK_NAMES },
      limit,
      cursor,
    },
  },
} as const satisfies Record<string, JsonSchema>;

// ---- responses (documentation; the domain produces them) ----
const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
const timestamp = { type: 'string', format: 'date-time' };
const pageOf = (item: string) => ({
  type: 'object',
  required: ['items'],
  properties: { items: { type: 'array', items: ref(item) }, nextCursor: { type: 'string' } },
});

export const RESPONSE_SCHEMAS: Readonly<Record<string, JsonSchema>> = {
  Problem: {
    type: 'object',
    required: ['type', 'title', 'status', 'code', 'requestId'],
    properties: {
      type: { type: 'string', description: 'urn:image-share-governor:error:<Code>' },
      title: { type: 'string' },
      status: { type: 'integer' },
      code: { type: 'string' },
      detail: { type: 'string', description: '4xx only' },
      requestId: { type: 'string' },
      errors: {
        type: 'array',
        description: 'ValidationFailed: what is wrong and where',
        items: { type: 'object', required: ['path', 'message'], properties: { path: { type: 'string' }, message: { type: 'string' } } },
      },
      limit: { type: 'integer', description: 'ShareQuotaExceeded' },
      used: { type: 'integer', description: 'ShareQuotaExceeded' },
      requested: { type: 'integer', description: 'ShareQuotaExceeded' },
      shares: { type: 'array', description: 'ImageStillShared: the accounts ECS or the store still shows (account channel)', items: accountId },
      targets: {
        type: 'array',
        description: 'ImageStillShared: every target either channel or the store still shows',
        items: { type: 'object', required: ['channel', 'target'], properties: { ...shareTarget, resourceShareId } },
      },
      resourceShares: { type: 'array', description: 'ImageStillShared: the resource shares still holding the image', items: { type: 'string' } },
      accounts: { type: 'array', description: 'AccountNotAllowed, CannotShareWithOwner, ShareAlreadyExists: the accounts concerned', items: accountId },
      directoryTargets: {
        type: 'array',
        description: 'AccountNotAllowed, UnknownAccount, CannotShareWithOwner, ShareAlreadyExists: the directory targets concerned',
        items: directoryTarget,
      },
      refusals: {
        type: 'array',
        description: 'AccountNotAllowed: why policy refuses each directory target, and the folder or account the rule is about',
        items: {
          type: 'object',
          required: ['target', 'reason'],
          properties: {
            target: directoryTarget,
            reason: {
              enum: ['directory_wide', 'denied_folder', 'outside_allowed_folders', 'contains_denied_folder', 'contains_denied_account', 'account_not_allowed'],
            },
            because: { type: 'string' },
          },
        },
      },
      channel: { ...channel, description: 'ShareQuotaExceeded: the channel whose quota is exceeded' },
      reason: {
        enum: ['kind', 'owner', 'denied_tag', 'required_tag_missing'],
        description: 'ImageNotShareable: not a custom image, owned by another account, a tag policy denies, or no required tag',
      },
      kind: { enum: ['custom', 'marketplace-derived', 'system', 'shared-to-us', 'community'], description: 'ImageNotShareable: the image kind' },
      tags: {
        type: 'array',
        description: 'ImageNotShareable by tag: the deny tag the image carries, or the required tags it lacks (key=value)',
        items: { type: 'string' },
      },
    },
    additionalProperties: true,
  },
  Share: {
    type: 'object',
    required: ['regionId', 'imageId', 'channel', 'target', 'state', 'origin', 'createdAt', 'updatedAt', 'version'],
    properties: {
      regionId: { type: 'string' },
      imageId: { type: 'string' },
      ...shareTarget,
      state: { enum: SHARE_STATES },
      requestId: { type: 'string' },
      origin: { enum: ['request', 'adopted'] },
      expiresAt: timestamp,
      createdAt: timestamp,
      updatedAt: timestamp,
      lastError: { type: 'string' },
      resourceShareId,
      version: { type: 'integer' },
    },
  },
  ShareRequest: {
    type: 'object',
    required: [
      'requestId',
      'regionId',
      'imageId',
      'accountIds',
      'directoryTargets',
      'status',
      'requester',
      'reason',
      'attestation',
      'pendingUntil',
      'createdAt',
      'updatedAt',
      'version',
    ],
    properties: {
      requestId: { type: 'string' },
      regionId: { type: 'string' },
      imageId: { type: 'string' },
      accountIds: { type: 'array', items: accountId },
      directoryTargets: { type: 'array', items: directoryTarget },
      status: { enum: REQUEST_STATUSES },
      requester: { type: 'string' },
      reason: { type: 'string' },
      ticket: { type: 'string' },
      shareExpiresAt: timestamp,
      attestation: { type: 'object', properties: { sensitiveDataRemoved: { type: 'boolean' } } },
      pendingUntil: timestamp,
      decidedBy: { type: 'string' },
      decidedAt: timestamp,
      comment: { type: 'string' },
      createdAt: timestamp,
      updatedAt: timestamp,
      version: { type: 'integer' },
    },
  },
  Deletion: {
    type: 'object',
    required: ['status'],
    properties: {
      status: { enum: DELETION_STATUSES },
      mode: { enum: ['guard', 'drain'] },
      reason: { type: 'string' },
      requestedBy: { type: 'string' },
      requestedAt: timestamp,
      force: { type: 'boolean' },
      remaining: { type: 'integer' },
      lastError: { type: 'string' },
      completedAt: timestamp,
    },
  },
  ImageRecord: {
    type: 'object',
    required: ['regionId', 'imageId', 'lifecycle', 'quotaUsed', 'directoryQuotaUsed', 'deletion', 'createdAt', 'updatedAt', 'version'],
    properties: {
      regionId: { type: 'string' },
      imageId: { type: 'string' },
      imageName: { type: 'string' },
      lifecycle: { enum: ['active', 'draining', 'deleted'] },
      quotaUsed: { type: 'integer', description: 'Account channel shares holding quota' },
      directoryQuotaUsed: { type: 'integer', description: 'Directory channel targets holding quota' },
      quotaChangedAt: timestamp,
      deletion: ref('Deletion'),
      createdAt: timestamp,
      updatedAt: timestamp,
      version: { type: 'integer' },
    },
  },
  ImageDescription: {
    type: 'object',
    required: ['image', 'quota', 'directoryQuota', 'shares', 'drift', 'public', 'pendingRequests'],
    properties: {
      image: {
        type: 'object',
        required: ['regionId', 'imageId', 'managed', 'lifecycle', 'deletion', 'ecs'],
        properties: {
          regionId: { type: 'string' },
          imageId: { type: 'string' },
          imageName: { type: 'string' },
          managed: { type: 'boolean' },
          lifecycle: { enum: ['active', 'draining', 'deleted'] },
          deletion: ref('Deletion'),
          ecs: {
            type: ['object', 'null'],
            properties: {
              status: { type: 'string' },
              kind: { enum: ['custom', 'marketplace-derived', 'system', 'shared-to-us', 'community'] },
              isPublic: { type: 'boolean' },
              tags: { type: 'object', additionalProperties: { type: 'string' } },
            },
          },
          createdAt: timestamp,
          updatedAt: timestamp,
        },
      },
      quota: {
        type: 'object',
        description: 'The account channel: ECS shares (at most 50)',
        required: ['limit', 'used'],
        properties: { limit: { type: 'integer' }, used: { type: 'integer' } },
      },
      directoryQuota: {
        type: 'object',
        description: 'The directory channel: targets (MAX_DIRECTORY_TARGETS_PER_IMAGE)',
        required: ['limit', 'used'],
        properties: { limit: { type: 'integer' }, used: { type: 'integer' } },
      },
      shares: { type: 'array', items: ref('Share') },
      drift: {
        type: 'array',
        items: {
          type: 'object',
          required: ['kind', 'channel', 'target'],
          properties: {
            kind: { enum: ['unmanaged', 'missing', 'public'] },
            ...shareTarget,
            target: { type: 'string', description: `${target.description}; \`all\` for a public (community) image` },
            resourceShareId,
          },
        },
      },
      public: { type: ['boolean', 'null'] },
      pendingRequests: { type: 'array', items: ref('ShareRequest') },
    },
  },
  AuditEvent: {
    type: 'object',
    required: ['eventId', 'regionId', 'imageId', 'at', 'principal', 'action', 'requestId'],
    properties: {
      eventId: { type: 'string' },
      regionId: { type: 'string' },
      imageId: { type: 'string' },
      at: timestamp,
      principal: { type: 'string' },
      action: { type: 'string' },
      ...shareTarget,
      before: { type: 'string' },
      after: { type: 'string' },
      requestId: { type: 'string' },
      shareRequestId: { type: 'string' },
      reason: { type: 'string' },
      ticket: { type: 'string' },
      detail: { type: 'string' },
    },
  },
  ReconcileRun: {
    type: 'object',
    required: ['runId', 'trigger', 'mode', 'regions', 'status', 'startedAt', 'imagesScanned', 'findings', 'actions', 'errors', 'apiCalls'],
    properties: {
      runId: { type: 'string' },
      trigger: { enum: ['timer', 'eventbridge', 'async', 'manual'] },
      mode: { enum: ['report', 'enforce'] },
      regions: { type: 'array', items: { type: 'string' } },
      status: { enum: ['running', 'completed', 'continued', 'failed', 'skipped'] },
      startedAt: timestamp,
      finishedAt: timestamp,
      durationMs: { type: 'integer' },
      imagesScanned: { type: 'integer' },
      findings: { type: 'object', additionalProperties: { type: 'integer' } },
      actions: { type: 'object', additionalProperties: { type: 'integer' } },
      errors: { type: 'array', items: { type: 'object' } },
      apiCalls: { type: 'object', additionalProperties: { type: 'integer' } },
      cursor: { type: 'string' },
      parentRunId: { type: 'string' },
    },
  },
  Delivery: {
    type: 'object',
    required: ['sink', 'eventId', 'type', 'subject', 'status', 'attempts', 'updatedAt'],
    properties: {
      sink: { enum: SINK_NAMES },
      eventId: { type: 'string', description: 'The audit event id, the CloudEvent id' },
      type: { type: 'string', description: 'The CloudEvent type, e.g. image-share-governor.share.applied' },
      subject: { type: 'string', description: 'images/<regionId>/<imageId>, or reconcile-runs/<runId>' },
      status: { enum: LISTED_DELIVERY_STATUSES },
      attempts: { type: 'integer' },
      nextAttemptAt: { ...timestamp, description: 'When a retrying delivery is tried again' },
      lastReason: { type: 'string', description: 'Why the last attempt did not deliver: status and error codes' },
      updatedAt: timestamp,
    },
  },
  Finding: {
    type: 'object',
    additionalProperties: false,
    required: ['kind', 'regionId', 'imageId', 'channel', 'target', 'detail', 'action', 'at'],
    // The order of these properties is the order of the CSV columns.
    properties: {
      kind: { enum: [...FINDING_KINDS] },
      regionId: { type: 'string' },
      imageId: { type: 'string' },
      channel: { enum: [...SHARE_CHANNELS] },
      target: { type: 'string', description: 'The account (account channel), rd-/fd-/member id (directory channel); the image for image findings; the share request for request findings' },
      accountId: { ...accountId, description: 'The account of an account-channel share finding (the target)' },
      detail: { type: 'string', description: 'What was found, in a few words' },
      action: { enum: [...FINDING_ACTIONS], description: 'What enforce mode did about it; none in report mode' },
      at: { ...timestamp, description: 'When it was found' },
    },
  },
  FindingPage: {
    type: 'object',
    additionalProperties: false,
    required: ['items'],
    properties: { items: { type: 'array', items: ref('Finding') }, nextCursor: { type: 'string' } },
  },
  RequestEnvelope: { type: 'object', required: ['request'], properties: { request: ref('ShareRequest') } },
  RequestWithShares: {
    type: 'object',
    required: ['request', 'shares'],
    properties: { request: ref('ShareRequest'), shares: { type: 'array', items: ref('Share') } },
  },
  UnshareResult: {
    type: 'object',
    required: ['shares', 'notShared', 'revokedOutsideService', 'directory', 'warning'],
    properties: {
      shares: { type: 'array', items: ref('Share'), description: 'The service\'s shares revoked or withdrawn, both channels' },
      notShared: { type: 'array', items: accountId, description: 'Named accounts with nothing to remove' },
      revokedOutsideService: {
        type: 'array',
        items: accountId,
        description: 'Named accounts whose share in ECS was made outside the service (console, another tool); revoked as well',
      },
      directory: {
        type: 'object',
        required: ['notShared', 'revokedOutsideService', 'removedFromShares'],
        properties: {
          notShared: { type: 'array', items: directoryTarget, description: 'Named directory targets with nothing to remove' },
          revokedOutsideService: {
            type: 'array',
            items: directoryTarget,
            description: "Named targets the service's own resource share held without a share of the service; removed as well",
          },
          removedFromShares: {
            type: 'array',
            description:
              'Resource shares the service does not own that held the image for a named target: the image was taken out of each (its other resources and targets untouched), so every target listed lost it',
            items: {
              type: 'object',
              required: ['resourceShareId', 'resourceShareName', 'targets'],
              properties: { resourceShareId: { type: 'string' }, resourceShareName: { type: 'string' }, targets: { type: 'array', items: directoryTarget } },
            },
          },
        },
      },
      warning: { type: 'string' },
    },
  },
  DeletionOutcome: {
    type: 'object',
    required: ['status'],
    properties: { status: { enum: ['deleted', 'draining', 'cancelled'] }, remaining: { type: 'integer' } },
  },
  DeletionState: {
    type: 'object',
    required: ['status', 'remaining', 'lastError'],
    properties: {
      status: { enum: DELETION_STATUSES },
      remaining: { type: 'integer' },
      lastError: { type: ['string', 'null'], description: 'The last error of a drain; null when there is none' },
    },
  },
  ImagePage: pageOf('ImageRecord'),
  ShareRequestPage: pageOf('ShareRequest'),
  AuditEventPage: pageOf('AuditEvent'),
  ReconcileRunPage: pageOf('ReconcileRun'),
  DeliveryPage: pageOf('Delivery'),
};

export type RequestBodyName = keyof typeof REQUEST_BODIES;
export type QueryName = keyof typeof QUERIES;

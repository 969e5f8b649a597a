/**
 * Unsigned admin routes under /__emulator/ for tests and local runs: seed accounts and images,
 * make shares "out of band", inject faults, set flow control, read state and the call log, reset.
 * Loopback callers only. Bodies are validated by schemas compiled once at load.
 */
import type { ValidateFunction } from 'ajv';
import { type AdminResponse, type Parsed, fail, parseJsonBody, pathSegment, removeFaultRoute } from '../common/admin.js';
import { INJECTED_FAULT_PROPERTIES } from '../common/faults.js';
import { type DirectoryAdminDependencies, handleDirectoryAdmin } from './admin-directory.js';
import { ACCOUNT_ID, IMAGE_ID, REGION_ID, compileSchema } from './admin-schemas.js';
import type { FaultInjector, FaultInput, FlowControl } from './faults.js';
import {
  type EcsStore,
  IMAGE_KINDS,
  IMAGE_STATUSES,
  type Image,
  type ImageKind,
  type ImageStatus,
  SHARE_LIMIT_PER_IMAGE,
  ecsTime,
} from './store.js';

export interface CallRecord {
  action: string | null;
  accountId: string | null;
  regionId: string | null;
  params: Record<string, string>;
  status: number;
  code: string | null;
  /** Arrival time on the emulator's clock (ISO-8601 with ms), so tests can check call rates. */
  at: string;
}

export interface AdminDependencies extends DirectoryAdminDependencies {
  faults: FaultInjector;
  flowControl: FlowControl;
  calls: CallRecord[];
  /** Forget everything that is not in the store (nonces, call log, faults, limits). */
  resetRuntime: () => void;
}

const ACTION = { type: 'string', pattern: '^[A-Z][A-Za-z0-9]{1,127}$' } as const;
const TAGS = {
  type: 'object',
  maxProperties: 20,
  propertyNames: { minLength: 1, maxLength: 128 },
  additionalProperties: { type: 'string', maxLength: 128 },
} as const;

const schemas = {
  account: {
    type: 'object',
    additionalProperties: false,
    required: ['accountId'],
    properties: {
      accountId: ACCOUNT_ID,
      accessKeys: {
        type: 'array',
        maxItems: 20,
        items: {
          type: 'object',
          additionalProperties: false,
          required: ['accessKeyId', 'accessKeySecret'],
          properties: {
            accessKeyId: { type: 'string', pattern: '^[\\x21-\\x7e]{1,128}$' },
            accessKeySecret: { type: 'string', minLength: 1, maxLength: 256 },
            securityToken: { type: 'string', minLength: 1, maxLength: 4096 },
          },
        },
      },
    },
  },
  image: {
    type: 'object',
    additionalProperties: false,
    required: ['regionId'],
    properties: {
      ownerAccountId: ACCOUNT_ID,
      regionId: REGION_ID,
      imageId: IMAGE_ID,
      imageName: { type: 'string', minLength: 1, maxLength: 128 },
      kind: { enum: [...IMAGE_KINDS] },
      status: { enum: [...IMAGE_STATUSES] },
      tags: TAGS,
      inUseByInstances: { type: 'boolean' },
      encrypted: { type: 'boolean' },
      isPublic: { type: 'boolean' },
      size: { type: 'integer', minimum: 1, maximum: 32768 },
      creationTime: { type: 'string', format: 'date-time' },
    },
  },
  imagePatch: {
    type: 'object',
    additionalProperties: false,
    minProperties: 1,
    properties: {
      imageName: { type: 'string', minLength: 1, maxLength: 128 },
      status: { enum: [...IMAGE_STATUSES] },
      tags: TAGS,
      inUseByInstances: { type: 'boolean' },
      encrypted: { type: 'boolean' },
      isPublic: { type: 'boolean' },
    },
  },
  share: {
    type: 'object',
    additionalProperties: false,
    required: ['regionId', 'imageId', 'accountId'],
    properties: { regionId: REGION_ID, imageId: IMAGE_ID, accountId: ACCOUNT_ID },
  },
  fault: {
    type: 'object',
    additionalProperties: false,
    properties: {
      action: ACTION,
      ...INJECTED_FAULT_PROPERTIES,
      phase: { enum: ['before', 'after'] },
      format: { enum: ['json', 'html'] },
    },
  },
  throttle: {
    type: 'object',
    additionalProperties: false,
    required: ['qps'],
    properties: { action: ACTION, qps: { type: 'integer', minimum: 0, maximum: 1000000 } },
  },
} as const;

const validators: Record<keyof typeof schemas, ValidateFunction> = {
  account: compileSchema(schemas.account),
  image: compileSchema(schemas.image),
  imagePatch: compileSchema(schemas.imagePatch),
  share: compileSchema(schemas.share),
  fault: compileSchema(schemas.fault),
  throttle: compileSchema(schemas.throttle),
};

// Body shapes of the admin routes; test/support/ecs.ts re-exports them for its typed client.
interface AccountBody {
  accountId: string;
  accessKeys?: Array<{ accessKeyId: string; accessKeySecret: string; securityToken?: string }>;
}
export interface ImageBody {
  /** Required except for system images, which have none. */
  ownerAccountId?: string;
  regionId: string;
  /** Generated unless given. */
  imageId?: string;
  imageName?: string;
  kind?: ImageKind;
  status?: ImageStatus;
  tags?: Record<string, string>;
  inUseByInstances?: boolean;
  encrypted?: boolean;
  isPublic?: boolean;
  /** GiB. */
  size?: number;
  /** ISO-8601; defaults to the emulator clock. */
  creationTime?: string;
}
export type ImagePatchBody = Partial<Pick<ImageBody, 'imageName' | 'status' | 'tags' | 'inUseByInstances' | 'encrypted' | 'isPublic'>>;
interface ShareBody {
  regionId: string;
  imageId: string;
  accountId: string;
}
export interface ThrottleBody {
  /** Omit to limit every action (each counted separately). */
  action?: string;
  qps: number;
}
type FaultBody = FaultInput;
export type StateBody = ReturnType<typeof stateOf>;

function parseBody<T>(raw: Buffer, kind: keyof typeof schemas): Parsed<T> {
  return parseJsonBody<T>(raw, validators[kind], kind);
}

function toTagList(tags: Record<string, string> | undefined): Array<{ key: string; value: string }> {
  return Object.entries(tags ?? {}).map(([key, value]) => ({ key, value }));
}

function stateOf(deps: DirectoryAdminDependencies) {
  const { store, resourceShares } = deps;
  return {
    accounts: store.listAccounts().map((account) => ({ accountId: account.accountId })),
    images: store.allImages().map((image: Image) => ({
      imageId: image.imageId,
      regionId: image.regionId,
      ownerAccountId: image.ownerAccountId,
      kind: image.kind,
      status: image.status,
      isPublic: image.isPublic,
      deleted: image.deleted,
      shares: [...image.shares.values()].map((share) => ({ accountId: share.accountId, sharedTime: share.sharedTime })),
      directoryShares: resourceShares.directoryTargetsOf(image),
    })),
  };
}

function addAccount(deps: AdminDependencies, raw: Buffer): AdminResponse {
  const parsed = parseBody<AccountBody>(raw, 'account');
  if (!parsed.ok) return parsed.response;
  const body = parsed.body;
  const conflict = deps.store.upsertAccount(body.accountId, body.accessKeys ?? []);
  if (conflict) return fail(409, conflict);
  return { status: 201, body: { accountId: body.accountId } };
}

function addImage(deps: AdminDependencies, raw: Buffer): AdminResponse {
  const parsed = parseBody<ImageBody>(raw, 'image');
  if (!parsed.ok) return parsed.response;
  const body = parsed.body;
  const kind = body.kind ?? 'custom';
  if (kind === 'system' && body.ownerAccountId !== undefined) return fail(400, 'system images have no ownerAccountId');
  if (kind !== 'system') {
    if (body.ownerAccountId === undefined) return fail(400, `${kind} images need an ownerAccountId`);
    if (!deps.store.findAccount(body.ownerAccountId)) return fail(400, `owner account ${body.ownerAccountId} is not registered`);
  }
  if (body.imageId !== undefined && deps.store.imageIdTaken(body.imageId)) return fail(409, `image ${body.imageId} already exists`);
  // RFC 3339 allows times Date cannot hold (a leap second, 23:59:60).
  const creationTime = body.creationTime === undefined ? deps.now() : new Date(body.creationTime);
  if (Number.isNaN(creationTime.getTime())) return fail(400, `invalid image: /creationTime ${body.creationTime} is not a representable time`);
  const image = deps.store.addImage({
    regionId: body.regionId,
    ownerAccountId: kind === 'system' ? null : (body.ownerAccountId ?? null),
    imageId: body.imageId,
    imageName: body.imageName,
    kind,
    status: body.status ?? 'Available',
    tags: toTagList(body.tags),
    inUseByInstances: body.inUseByInstances ?? false,
    encrypted: body.encrypted ?? false,
    isPublic: kind === 'system' ? true : (body.isPublic ?? false),
    creationTime: ecsTime(creationTime),
    sizeGiB: body.size ?? 40,
  });
  return { status: 201, body: { imageId: image.imageId } };
}

function patchImage(deps: AdminDependencies, regionId: string, imageId: string, raw: Buffer): AdminResponse {
  const parsed = parseBody<ImagePatchBody>(raw, 'imagePatch');
  if (!parsed.ok) return parsed.response;
  const body = parsed.body;
  const image = deps.store.findImage(regionId, imageId);
  if (!image) return fail(404, `image ${imageId} not found in ${regionId}`);
  if (image.kind === 'system' && body.isPublic === false) return fail(400, 'system images are always public');
  if (body.imageName !== undefined) image.imageName = body.imageName;
  if (body.status !== undefined) image.status = body.status;
  if (body.tags !== undefined) image.tags = toTagList(body.tags);
  if (body.inUseByInstances !== undefined) image.inUseByInstances = body.inUseByInstances;
  if (body.encrypted !== undefined) image.encrypted = body.encrypted;
  if (body.isPublic !== undefined) image.isPublic = body.isPublic;
  return { status: 200, body: { imageId: image.imageId } };
}

/** Parses an out-of-band share body and looks up what it names; returns the image or a failure. */
function resolveShare(deps: AdminDependencies, raw: Buffer): { image: Image; body: ShareBody } | { response: AdminResponse } {
  const parsed = parseBody<ShareBody>(raw, 'share');
  if (!parsed.ok) return { response: parsed.response };
  const body = parsed.body;
  const image = deps.store.findImage(body.regionId, body.imageId);
  if (!image) return { response: fail(404, `image ${body.imageId} not found in ${body.regionId}`) };
  if (image.kind === 'system') return { response: fail(409, 'system images cannot be shared') };
  if (!deps.store.findAccount(body.accountId)) return { response: fail(404, `account ${body.accountId} is not registered`) };
  if (image.ownerAccountId === body.accountId) return { response: fail(409, 'an image cannot be shared with its owner') };
  return { image, body };
}

function addShare(deps: AdminDependencies, raw: Buffer): AdminResponse {
  const resolved = resolveShare(deps, raw);
  if ('response' in resolved) return resolved.response;
  const { image, body } = resolved;
  if (!image.shares.has(body.accountId)) {
    if (image.shares.size >= SHARE_LIMIT_PER_IMAGE) return fail(409, `image already shared with ${SHARE_LIMIT_PER_IMAGE} accounts`);
    image.shares.set(body.accountId, { accountId: body.accountId, sharedTime: ecsTime(deps.now()) });
  }
  const share = image.shares.get(body.accountId);
  return { status: 201, body: { accountId: body.accountId, sharedTime: share?.sharedTime } };
}

function removeShare(deps: AdminDependencies, raw: Buffer): AdminResponse {
  const resolved = resolveShare(deps, raw);
  if ('response' in resolved) return resolved.response;
  resolved.image.shares.delete(resolved.body.accountId);
  return { status: 204 };
}

function addFault(deps: AdminDependencies, raw: Buffer): AdminResponse {
  const parsed = parseBody<FaultBody>(raw, 'fault');
  if (!parsed.ok) return parsed.response;
  const body = parsed.body;
  if (body.code === undefined && body.latencyMs === undefined) return fail(400, 'invalid fault: give a code, a latencyMs, or both');
  if (body.code === undefined && body.status !== undefined) return fail(400, 'invalid fault: status needs a code');
  if (body.code === undefined && body.format !== undefined) return fail(400, 'invalid fault: format needs a code');
  return { status: 201, body: { id: deps.faults.add(body) } };
}

function setThrottle(deps: AdminDependencies, raw: Buffer): AdminResponse {
  const parsed = parseBody<ThrottleBody>(raw, 'throttle');
  if (!parsed.ok) return parsed.response;
  const body = parsed.body;
  deps.flowControl.set(body.action, body.qps);
  return { status: 200, body: { action: body.action ?? null, qps: body.qps } };
}

/** Routes one admin request. Never throws for client mistakes. */
export function handleAdmin(deps: AdminDependencies, method: string, pathname: string, raw: Buffer): AdminResponse {
  const route = `${method} ${pathname}`;
  switch (route) {
    case 'POST /__emulator/accounts':
      return addAccount(deps, raw);
    case 'POST /__emulator/images':
      return addImage(deps, raw);
    case 'POST /__emulator/shares':
      return addShare(deps, raw);
    case 'DELETE /__emulator/shares':
      return removeShare(deps, raw);
    case 'POST /__emulator/faults':
      return addFault(deps, raw);
    case 'DELETE /__emulator/faults':
      deps.faults.clear();
      return { status: 204 };
    case 'PUT /__emulator/throttle':
      return setThrottle(deps, raw);
    case 'DELETE /__emulator/throttle':
      deps.flowControl.clear();
      return { status: 204 };
    case 'GET /__emulator/state':
      return { status: 200, body: stateOf(deps) };
    case 'GET /__emulator/calls':
      return { status: 200, body: deps.calls };
    case 'POST /__emulator/reset':
      deps.store.reset();
      deps.directory.reset();
      deps.resourceShares.reset();
      deps.roles.reset();
      deps.resetRuntime();
      return { status: 204 };
    default:
      break;
  }
  const imageRoute = /^\/__emulator\/images\/([^/]+)\/([^/]+)$/.exec(pathname);
  if (imageRoute && method === 'PATCH') {
    const regionId = pathSegment(imageRoute[1]);
    const imageId = pathSegment(imageRoute[2]);
    if (regionId === undefined || imageId === undefined) return fail(400, `malformed percent-encoding in ${pathname}`);
    return patchImage(deps, regionId, imageId, raw);
  }
  return (
    removeFaultRoute(method, pathname, (id) => deps.faults.remove(id)) ??
    handleDirectoryAdmin(deps, method, pathname, raw) ??
    fail(404, `no admin route ${route}`)
  );
}

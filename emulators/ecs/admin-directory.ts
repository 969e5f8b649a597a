/**
 * Admin routes of the Resource Directory products: the directory and its members, resource shares
 * made out of band (as the console would), how Resource Sharing settles associations, and roles STS
 * lets callers assume. Every body is validated; a refused one changes nothing.
 */
import { type AdminResponse, fail, parseJsonBody, pathSegment } from '../common/admin.js';
import { ACCOUNT_ID, IMAGE_ID, REGION_ID, compileSchema } from './admin-schemas.js';
import { DIRECTORY_ID, type DirectoryInput, type DirectoryStore, FOLDER_ID, ROOT_FOLDER_ID } from './resourcemanager/store.js';
import {
  DEFAULT_IMAGE_PERMISSION,
  FAILURE_REASONS,
  type FailureReason,
  IMAGE_RESOURCE_TYPE,
  type ResourceShareStore,
} from './resourcesharing/store.js';
import type { EcsStore } from './store.js';
import type { RoleStore } from './sts/store.js';

export interface DirectoryAdminDependencies {
  store: EcsStore;
  directory: DirectoryStore;
  resourceShares: ResourceShareStore;
  roles: RoleStore;
  now: () => Date;
}

const pattern = (regex: RegExp) => ({ type: 'string', pattern: regex.source }) as const;
const FOLDER = pattern(FOLDER_ID);
const ANY_FOLDER = { type: 'string', pattern: `${ROOT_FOLDER_ID.source}|${FOLDER_ID.source}` } as const;
const TARGET = { type: 'string', pattern: `${DIRECTORY_ID.source}|${FOLDER_ID.source}|^[0-9]{16}$` } as const;
const NULLABLE = (schema: object) => ({ oneOf: [{ type: 'null' }, schema] });
const ROLE_NAME = { type: 'string', pattern: '^[A-Za-z0-9.@_-]{1,64}$' } as const;

const validators = {
  directory: compileSchema({
    type: 'object',
    additionalProperties: false,
    required: ['directoryId', 'managementAccountId'],
    properties: {
      directoryId: pattern(DIRECTORY_ID),
      rootFolderId: pattern(ROOT_FOLDER_ID),
      managementAccountId: ACCOUNT_ID,
      folders: {
        type: 'array',
        maxItems: 1000,
        items: {
          type: 'object',
          additionalProperties: false,
          required: ['folderId', 'name'],
          properties: { folderId: FOLDER, parentFolderId: NULLABLE(ANY_FOLDER), name: { type: 'string', minLength: 1, maxLength: 128 } },
        },
      },
      members: {
        type: 'array',
        maxItems: 1000,
        items: {
          type: 'object',
          additionalProperties: false,
          required: ['accountId'],
          properties: { accountId: ACCOUNT_ID, folderId: NULLABLE(ANY_FOLDER) },
        },
      },
      sharingEnabled: { type: 'boolean' },
    },
  }),
  memberMove: compileSchema({
    type: 'object',
    additionalProperties: false,
    required: ['folderId'],
    properties: { folderId: NULLABLE(ANY_FOLDER) },
  }),
  resourceShare: compileSchema({
    type: 'object',
    additionalProperties: false,
    required: ['ownerAccountId', 'regionId', 'resources', 'targets'],
    properties: {
      ownerAccountId: ACCOUNT_ID,
      regionId: REGION_ID,
      name: { type: 'string', pattern: '^[\\p{L}\\p{N}._-]{1,50}$' },
      resources: {
        type: 'array',
        maxItems: 100,
        items: {
          type: 'object',
          additionalProperties: false,
          required: ['resourceType', 'resourceId'],
          properties: { resourceType: { const: IMAGE_RESOURCE_TYPE }, resourceId: IMAGE_ID },
        },
      },
      targets: { type: 'array', maxItems: 100, uniqueItems: true, items: TARGET },
      allowExternalTargets: { type: 'boolean' },
    },
  }),
  resourceSharing: compileSchema({
    type: 'object',
    additionalProperties: false,
    minProperties: 1,
    properties: {
      associationDelayMs: { type: 'integer', minimum: 0, maximum: 600000 },
      failures: {
        type: 'array',
        maxItems: 100,
        items: {
          type: 'object',
          additionalProperties: false,
          required: ['entityId', 'reason'],
          properties: { entityId: { type: 'string', minLength: 1, maxLength: 64 }, reason: { enum: [...FAILURE_REASONS] } },
        },
      },
    },
  }),
  role: compileSchema({
    type: 'object',
    additionalProperties: false,
    required: ['accountId', 'roleName', 'trustedAccountIds'],
    properties: {
      accountId: ACCOUNT_ID,
      roleName: ROLE_NAME,
      trustedAccountIds: { type: 'array', minItems: 1, maxItems: 100, uniqueItems: true, items: ACCOUNT_ID },
      maxSessionDurationSeconds: { type: 'integer', minimum: 3600, maximum: 43200 },
    },
  }),
};

// Body shapes; test/support/ecs.ts re-exports them for its typed client.
export type ResourceDirectoryBody = Omit<DirectoryInput, 'folders' | 'members'> & Partial<Pick<DirectoryInput, 'folders' | 'members'>>;
export interface ResourceShareBody {
  ownerAccountId: string;
  regionId: string;
  name?: string;
  resources: Array<{ resourceType: 'Image'; resourceId: string }>;
  targets: string[];
  allowExternalTargets?: boolean;
}
export interface ResourceSharingSettingsBody {
  associationDelayMs?: number;
  failures?: Array<{ entityId: string; reason: FailureReason }>;
}
export interface RoleBody {
  accountId: string;
  roleName: string;
  trustedAccountIds: string[];
  maxSessionDurationSeconds?: number;
}

function putDirectory(deps: DirectoryAdminDependencies, raw: Buffer): AdminResponse {
  const parsed = parseJsonBody<ResourceDirectoryBody>(raw, validators.directory, 'resource directory');
  if (!parsed.ok) return parsed.response;
  const problem = deps.directory.replace(
    { ...parsed.body, folders: parsed.body.folders ?? [], members: parsed.body.members ?? [] },
    (accountId) => deps.store.findAccount(accountId) !== undefined,
    deps.now(),
  );
  if (problem) return fail(400, `invalid resource directory: ${problem}`);
  const directory = deps.directory.get()!;
  return { status: 201, body: { directoryId: directory.directoryId, rootFolderId: directory.rootFolder.folderId } };
}

function moveMember(deps: DirectoryAdminDependencies, accountId: string, raw: Buffer): AdminResponse {
  const parsed = parseJsonBody<{ folderId: string | null }>(raw, validators.memberMove, 'member move');
  if (!parsed.ok) return parsed.response;
  const problem = deps.directory.moveMember(accountId, parsed.body.folderId, deps.now());
  return problem ? fail(404, problem) : { status: 200, body: { accountId, folderId: deps.directory.member(accountId)?.folderId } };
}

function removeMember(deps: DirectoryAdminDependencies, accountId: string): AdminResponse {
  const problem = deps.directory.removeMember(accountId);
  return problem ? fail(accountId === deps.directory.get()?.managementAccountId ? 409 : 404, problem) : { status: 204 };
}

function addResourceShare(deps: DirectoryAdminDependencies, raw: Buffer): AdminResponse {
  const parsed = parseJsonBody<ResourceShareBody>(raw, validators.resourceShare, 'resource share');
  if (!parsed.ok) return parsed.response;
  const body = parsed.body;
  const allowExternalTargets = body.allowExternalTargets ?? false;
  if (!deps.store.findAccount(body.ownerAccountId)) return fail(400, `owner account ${body.ownerAccountId} is not registered`);
  const imageIds = body.resources.map((resource) => resource.resourceId);
  if (new Set(imageIds).size !== imageIds.length) return fail(400, 'invalid resource share: an image is listed twice');
  for (const imageId of imageIds) {
    const image = deps.store.findImage(body.regionId, imageId);
    if (!image || image.ownerAccountId !== body.ownerAccountId || image.kind !== 'custom') {
      return fail(400, `image ${imageId} is not a custom image of ${body.ownerAccountId} in ${body.regionId}`);
    }
  }
  for (const target of body.targets) {
    const check = deps.resourceShares.checkTarget(body.ownerAccountId, target, allowExternalTargets, (id) => !!deps.store.findAccount(id));
    if (check.ok) continue;
    if (check.reason === 'sharingDisabled') return fail(409, 'sharing with the resource directory is not enabled');
    const why = {
      self: 'is the owner itself',
      invalid: 'is not in the resource directory (or not a registered account)',
      notInDirectory: 'is a resource directory target, but the owner is not in the resource directory',
      external: 'is not a member of the resource directory, and allowExternalTargets is false',
    }[check.reason];
    return fail(400, `target ${target} ${why}`);
  }
  const live = deps.resourceShares
    .all()
    .filter((share) => share.ownerAccountId === body.ownerAccountId && share.regionId === body.regionId && share.status !== 'Deleted');
  let name = body.name;
  for (let n = live.length + 1; name === undefined; n += 1) {
    if (!live.some((share) => share.name === `console-share-${n}`)) name = `console-share-${n}`;
  }
  if (live.some((share) => share.name === name)) return fail(409, `a resource share named ${name} already exists`);
  const share = deps.resourceShares.create(
    {
      name,
      ownerAccountId: body.ownerAccountId,
      regionId: body.regionId,
      allowExternalTargets,
      tags: [],
      resourceGroupId: '',
      permissionNames: [DEFAULT_IMAGE_PERMISSION],
    },
    [
      ...imageIds.map((entityId) => ({ type: 'Resource' as const, entityId })),
      ...body.targets.map((entityId) => ({ type: 'Target' as const, entityId })),
    ],
    true,
  );
  return { status: 201, body: { resourceShareId: share.resourceShareId } };
}

function configureResourceSharing(deps: DirectoryAdminDependencies, raw: Buffer): AdminResponse {
  const parsed = parseJsonBody<ResourceSharingSettingsBody>(raw, validators.resourceSharing, 'resource sharing settings');
  if (!parsed.ok) return parsed.response;
  deps.resourceShares.configure(parsed.body);
  return { status: 200, body: deps.resourceShares.settings() };
}

function addRole(deps: DirectoryAdminDependencies, raw: Buffer): AdminResponse {
  const parsed = parseJsonBody<RoleBody>(raw, validators.role, 'role');
  if (!parsed.ok) return parsed.response;
  const body = parsed.body;
  for (const accountId of [body.accountId, ...body.trustedAccountIds]) {
    if (!deps.store.findAccount(accountId)) return fail(400, `account ${accountId} is not registered`);
  }
  const roleArn = deps.roles.put({
    accountId: body.accountId,
    roleName: body.roleName,
    trustedAccountIds: new Set(body.trustedAccountIds),
    maxSessionDurationSeconds: body.maxSessionDurationSeconds ?? 3600,
  });
  return { status: 201, body: { roleArn } };
}

/** The answer for a directory route, or undefined when the path is not one. */
export function handleDirectoryAdmin(
  deps: DirectoryAdminDependencies,
  method: string,
  pathname: string,
  raw: Buffer,
): AdminResponse | undefined {
  switch (`${method} ${pathname}`) {
    case 'POST /__emulator/resource-directory':
      return putDirectory(deps, raw);
    case 'POST /__emulator/resource-shares':
      return addResourceShare(deps, raw);
    case 'PUT /__emulator/resource-sharing':
      return configureResourceSharing(deps, raw);
    case 'POST /__emulator/roles':
      return addRole(deps, raw);
    default:
      break;
  }
  const memberRoute = /^\/__emulator\/resource-directory\/members\/([^/]+)$/.exec(pathname);
  if (!memberRoute || (method !== 'PATCH' && method !== 'DELETE')) return undefined;
  const accountId = pathSegment(memberRoute[1]);
  if (accountId === undefined) return fail(400, `malformed percent-encoding in ${pathname}`);
  return method === 'PATCH' ? moveMember(deps, accountId, raw) : removeMember(deps, accountId);
}

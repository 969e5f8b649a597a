// Every input the reconciler accepts, as JSON Schema (compiled once per instance; precompiled in the bundle). Each schema's
// `example` doubles as a test fixture.
import { validatorGroup, validatorsOf, type ValidationError } from '../../shared/schema/validators.js';
import { IMAGE_ID_PATTERN } from '../../shared/domain/model.js';

const REGION_ID = { type: 'string', pattern: '^[a-z]{2,}(-[a-z0-9]+){1,4}$', maxLength: 64 } as const;
const RUN_ID = { type: 'string', pattern: '^[A-Za-z0-9._:-]{1,128}$' } as const;
const MODE = { enum: ['report', 'enforce'] } as const;

/**
 * FC 3.0 timer trigger event; `payload` is the string configured on the trigger. The envelope is the
 * platform's: like the EventBridge one below, it is checked for the fields used and may carry others
 * (a field FC adds one day must not stop every scheduled run). The payload inside is ours, and closed.
 */
export const TIMER_EVENT = {
  type: 'object',
  required: ['triggerTime', 'triggerName'],
  properties: {
    triggerTime: { type: 'string', maxLength: 64 },
    triggerName: { type: 'string', maxLength: 128 },
    payload: { type: 'string', maxLength: 4096 },
  },
  example: { triggerTime: '2026-11-28T03:00:00Z', triggerName: 'reconcile-every-5m', payload: '{"mode":"enforce","regions":["cn-hangzhou"]}' },
} as const;

/** JSON inside the timer payload string. Both fields default from config (policy mode, all managed regions). */
export const TIMER_PAYLOAD = {
  type: 'object',
  additionalProperties: false,
  properties: {
    mode: MODE,
    regions: { type: 'array', items: REGION_ID, minItems: 1, maxItems: 32, uniqueItems: true },
  },
  example: { mode: 'enforce', regions: ['cn-hangzhou', 'cn-shanghai'] },
} as const;

/**
 * ActionTrail write events that change what an image is shared with, or whether it exists, by the
 * product ActionTrail names as their serviceName: the s.yaml trigger's filter lists exactly these.
 * `ResourceSharing` is the product code the Resource Sharing SDK and API use; the ActionTrail
 * documentation shows no Resource Sharing record to confirm it (functions/reconcile/README.md).
 */
export const WATCHED_EVENTS = {
  Ecs: ['ModifyImageSharePermission', 'DeleteImage'],
  ResourceSharing: ['CreateResourceShare', 'AssociateResourceShare', 'DisassociateResourceShare', 'DeleteResourceShare'],
} as const satisfies Record<string, readonly string[]>;

/** A list parameter as ActionTrail records it: flattened (`Resources.1.ResourceId`), or a JSON array. */
const LISTED = { type: 'string', maxLength: 1024 } as const;

/**
 * EventBridge CloudEvents envelope. The envelope and the ActionTrail record belong to the platform
 * and grow fields over time (aliyun* extensions, userIdentity, ...): unlike our own payloads they
 * are checked for the fields we use and their types, and other fields are allowed, so a new
 * platform field never silences near-real-time detection.
 */
export const EVENTBRIDGE_EVENT = {
  type: 'object',
  required: ['specversion', 'source', 'type', 'data'],
  properties: {
    id: { type: 'string' },
    specversion: { type: 'string' },
    source: { type: 'string', const: 'acs.actiontrail' },
    type: { type: 'string', pattern: '^actiontrail:ActionTrail:' },
    aliyunregionid: { type: 'string' },
    data: {
      type: 'object',
      required: ['eventName'],
      properties: {
        eventName: { type: 'string', maxLength: 128 },
        acsRegion: { type: 'string' },
        errorCode: { type: 'string' },
        requestParameters: {
          type: 'object',
          properties: {
            RegionId: REGION_ID,
            ImageId: { type: 'string', pattern: IMAGE_ID_PATTERN },
            ResourceShareId: { type: 'string', maxLength: 128 },
            Resources: { type: 'array', maxItems: 100, items: { type: 'object', properties: { ResourceType: LISTED, ResourceId: LISTED } } },
            ResourceArns: { type: 'array', maxItems: 100, items: LISTED },
          },
          patternProperties: { '^(Resources\\.[0-9]{1,3}\\.(ResourceType|ResourceId)|ResourceArns\\.[0-9]{1,3})$': LISTED },
        },
        referencedResources: {
          type: 'object',
          properties: {
            'ACS::ECS::Image': { type: 'array', maxItems: 20, items: { type: 'string', pattern: IMAGE_ID_PATTERN } },
          },
        },
      },
    },
  },
  example: {
    id: '92b33345-0000-4000-8000-000000000001',
    specversion: '1.0',
    source: 'acs.actiontrail',
    type: 'actiontrail:ActionTrail:ApiCall',
    time: '2026-11-20T21:52:00Z',
    aliyunaccountid: '1234567890123456',
    aliyunregionid: 'cn-hangzhou',
    data: {
      eventId: '92b33345-0000-4000-8000-000000000001',
      eventVersion: 1,
      eventType: 'ApiCall',
      eventRW: 'Write',
      eventName: 'ModifyImageSharePermission',
      serviceName: 'Ecs',
      acsRegion: 'cn-hangzhou',
      eventTime: '2026-11-20T21:52:00Z',
      requestParameters: { RegionId: 'cn-hangzhou', ImageId: 'm-bp1example0001', 'AddAccount.1': '2234567890123456' },
      referencedResources: { 'ACS::ECS::Image': ['m-bp1example0001'] },
    },
  },
} as const;

const CURSOR = {
  type: 'object',
  additionalProperties: false,
  required: ['phase', 'pageNumber', 'index'],
  properties: {
    phase: { enum: ['requests', 'ecs', 'store'] },
    pageNumber: { type: 'integer', minimum: 1, maximum: 100000 },
    index: { type: 'integer', minimum: 0, maximum: 100000 },
    storeCursor: { type: 'string', maxLength: 4096 },
  },
} as const;

/** Asynchronous invocations the reconciler sends itself (fan-out, continuation) or an operator sends. */
export const TASK_PAYLOAD = {
  oneOf: [
    {
      type: 'object',
      additionalProperties: false,
      required: ['kind', 'runId', 'parentRunId', 'regionId', 'mode', 'trigger'],
      properties: {
        kind: { const: 'region' },
        runId: RUN_ID,
        parentRunId: RUN_ID,
        regionId: REGION_ID,
        mode: MODE,
        trigger: { enum: ['timer', 'eventbridge', 'async', 'manual'] },
      },
    },
    {
      type: 'object',
      additionalProperties: false,
      required: ['kind', 'runId', 'regionId', 'mode', 'cursor'],
      properties: { kind: { const: 'continue' }, runId: RUN_ID, regionId: REGION_ID, mode: MODE, cursor: CURSOR },
    },
    {
      // A manual run (`s invoke`, local CLI): like a timer, without the trigger envelope.
      type: 'object',
      additionalProperties: false,
      required: ['kind'],
      properties: {
        kind: { const: 'sweep' },
        mode: MODE,
        regions: { type: 'array', items: REGION_ID, minItems: 1, maxItems: 32, uniqueItems: true },
      },
    },
    {
      type: 'object',
      additionalProperties: false,
      required: ['kind', 'regionId', 'imageId'],
      properties: { kind: { const: 'image' }, regionId: REGION_ID, imageId: { type: 'string', pattern: IMAGE_ID_PATTERN }, mode: MODE },
    },
  ],
  example: {
    kind: 'continue',
    runId: '1-6747e1a0-3b2c1d0e9f8a7b6c5d4e3f21-cn-hangzhou',
    regionId: 'cn-hangzhou',
    mode: 'enforce',
    cursor: { phase: 'ecs', pageNumber: 3, index: 17 },
  },
} as const;

export interface TimerEvent {
  triggerTime: string;
  triggerName: string;
  payload?: string;
}
export interface TimerPayload {
  mode?: 'report' | 'enforce';
  regions?: string[];
}
export interface EventBridgeEvent {
  aliyunregionid?: string;
  data: {
    eventName: string;
    acsRegion?: string;
    errorCode?: string;
    requestParameters?: {
      RegionId?: string;
      ImageId?: string;
      ResourceShareId?: string;
      Resources?: { ResourceType?: string; ResourceId?: string }[];
      ResourceArns?: string[];
      [flattened: string]: unknown;
    };
    referencedResources?: { 'ACS::ECS::Image'?: string[] };
  };
}

const IMAGE_ID = new RegExp(IMAGE_ID_PATTERN);
const IMAGE_ARN = /^acs:ecs:[a-z0-9-]*:[0-9]*:image\/(m-[a-z0-9]{8,40})$/;

/**
 * Every image an ActionTrail record names: ECS's ImageId, the ECS image resources it references, and
 * the Image resources (or image ARNs) a Resource Sharing call was given. A Resource Sharing call about
 * targets only, or a whole share (DeleteResourceShare), names none.
 */
export function imagesNamedBy(data: EventBridgeEvent['data']): string[] {
  const params = data.requestParameters ?? {};
  const named: unknown[] = [params.ImageId, ...(data.referencedResources?.['ACS::ECS::Image'] ?? [])];
  for (const resource of params.Resources ?? []) if (resource.ResourceType === 'Image') named.push(resource.ResourceId);
  for (const [key, value] of Object.entries(params)) {
    const flat = /^Resources\.([0-9]+)\.ResourceId$/.exec(key);
    if (flat && params[`Resources.${flat[1]}.ResourceType`] === 'Image') named.push(value);
  }
  const arns = [...(params.ResourceArns ?? []), ...Object.entries(params).filter(([key]) => /^ResourceArns\.[0-9]+$/.test(key)).map(([, v]) => v)];
  for (const arn of arns) named.push(typeof arn === 'string' ? IMAGE_ARN.exec(arn)?.[1] : undefined);
  return [...new Set(named.filter((id): id is string => typeof id === 'string' && IMAGE_ID.test(id)))];
}

export const RECONCILE_SCHEMAS = validatorGroup('reconcile', 'platform', {
  timerEvent: TIMER_EVENT,
  timerPayload: TIMER_PAYLOAD,
  eventBridge: EVENTBRIDGE_EVENT,
  task: TASK_PAYLOAD,
});

export const validators = validatorsOf(RECONCILE_SCHEMAS);

export const describeErrors = (errors: readonly ValidationError[] | null | undefined): string =>
  (errors ?? []).slice(0, 5).map((e) => `${e.instancePath || '/'} ${e.message ?? 'is invalid'}`).join('; ');

// describe: read-only views (image state vs ECS, managed images, requests, audit, runs, findings and
// the compliance posture: every role; event deliveries that failed or are being retried: admins and auditors).
import type { DeliveryStatus, FindingKind, RequestStatus, SinkName } from '../../shared/domain/model.js';
import { ALL_ROLES, optionalString, pageLimit } from '../../shared/http/routes.js';
import type { Route } from '../../shared/http/routes.js';
import { DEFAULT_PAGE_LIMIT, QUERIES } from '../../shared/http/schemas.js';

const page = (q: Readonly<Record<string, unknown>>) => {
  const cursor = optionalString(q.cursor);
  return { limit: pageLimit(q, DEFAULT_PAGE_LIMIT), ...(cursor !== undefined ? { cursor } : {}) };
};

export const describeRoutes: readonly Route[] = [
  {
    operationId: 'describeImage',
    summary: 'One image: stored state, quota, shares, pending requests and (live) drift against ECS',
    method: 'GET',
    path: '/v1/images/{regionId}/{imageId}',
    roles: ALL_ROLES,
    query: 'DescribeImageQuery',
    responses: { 200: { schema: 'ImageDescription', description: 'The image' } },
    errors: ['ImageNotFound', 'UpstreamThrottled', 'UpstreamUnavailable'],
    async handle({ ctx, governor, params, query }) {
      const live = query.live !== false;
      return { status: 200, body: await governor.describeImage(ctx, params.regionId!, params.imageId!, { live }) };
    },
  },
  {
    operationId: 'listImages',
    summary: 'Managed images, paged',
    method: 'GET',
    path: '/v1/images',
    roles: ALL_ROLES,
    query: 'ListImagesQuery',
    responses: { 200: { schema: 'ImagePage', description: 'One page; nextCursor is absent on the last' } },
    errors: ['RegionNotManaged'],
    async handle({ ctx, governor, query }) {
      const regionId = optionalString(query.regionId); // managed-region check done by the HTTP layer
      return { status: 200, body: await governor.listImages(ctx, { ...page(query), ...(regionId !== undefined ? { regionId } : {}) }) };
    },
  },
  {
    operationId: 'listShareRequests',
    summary: 'Share requests, newest first (the approval queue with status=pending_approval)',
    method: 'GET',
    path: '/v1/share-requests',
    roles: ALL_ROLES,
    query: 'ListRequestsQuery',
    responses: { 200: { schema: 'ShareRequestPage', description: 'One page' } },
    errors: [],
    async handle({ ctx, governor, query }) {
      const status = optionalString(query.status) as RequestStatus | undefined;
      return { status: 200, body: await governor.listRequests(ctx, { ...page(query), ...(status !== undefined ? { status } : {}) }) };
    },
  },
  {
    operationId: 'getShareRequest',
    summary: 'One share request',
    method: 'GET',
    path: '/v1/share-requests/{requestId}',
    roles: ALL_ROLES,
    responses: { 200: { schema: 'RequestEnvelope', description: 'The request' } },
    errors: ['RequestNotFound'],
    async handle({ ctx, governor, params }) {
      return { status: 200, body: { request: await governor.getRequest(ctx, params.requestId!) } };
    },
  },
  {
    operationId: 'listImageEvents',
    summary: 'Audit trail of one image, newest first',
    method: 'GET',
    path: '/v1/images/{regionId}/{imageId}/events',
    roles: ALL_ROLES,
    query: 'PageQuery',
    responses: { 200: { schema: 'AuditEventPage', description: 'One page' } },
    errors: [],
    async handle({ ctx, governor, params, query }) {
      return { status: 200, body: await governor.listEvents(ctx, params.regionId!, params.imageId!, page(query)) };
    },
  },
  {
    operationId: 'listReconcileRuns',
    summary: 'Reconciliation reports, newest first',
    method: 'GET',
    path: '/v1/reconcile-runs',
    roles: ALL_ROLES,
    query: 'PageQuery',
    responses: { 200: { schema: 'ReconcileRunPage', description: 'One page' } },
    errors: [],
    async handle({ ctx, governor, query }) {
      return { status: 200, body: await governor.listRuns(ctx, page(query)) };
    },
  },
  {
    operationId: 'getReconcileRun',
    summary: 'One reconciliation report',
    method: 'GET',
    path: '/v1/reconcile-runs/{runId}',
    roles: ALL_ROLES,
    responses: { 200: { schema: 'ReconcileRun', description: 'The run' } },
    errors: ['RunNotFound'],
    async handle({ ctx, governor, params }) {
      return { status: 200, body: await governor.getRun(ctx, params.runId!) };
    },
  },
  {
    operationId: 'listReconcileRunFindings',
    summary: 'What one reconciliation run found, finding by finding (kind first); CSV with Accept: text/csv',
    method: 'GET',
    path: '/v1/reconcile-runs/{runId}/findings',
    roles: ALL_ROLES,
    query: 'RunFindingsQuery',
    responses: { 200: { schema: 'FindingPage', description: 'One page; nextCursor is absent on the last' } },
    csvItems: 'Finding',
    errors: ['RunNotFound'],
    async handle({ ctx, governor, params, query }) {
      const kind = optionalString(query.kind) as FindingKind | undefined;
      return { status: 200, body: await governor.listRunFindings(ctx, params.runId!, { ...page(query), ...(kind !== undefined ? { kind } : {}) }) };
    },
  },
  {
    operationId: 'listFindings',
    summary: 'The compliance posture: open findings of the latest completed sweep of each managed region; CSV with Accept: text/csv',
    method: 'GET',
    path: '/v1/findings',
    roles: ALL_ROLES,
    query: 'PostureQuery',
    responses: { 200: { schema: 'FindingPage', description: 'One page, region by region; nextCursor is absent on the last' } },
    csvItems: 'Finding',
    errors: ['RegionNotManaged'],
    async handle({ ctx, governor, query }) {
      const regionId = optionalString(query.regionId); // managed-region check done by the HTTP layer
      const kind = optionalString(query.kind) as FindingKind | undefined;
      return {
        status: 200,
        body: await governor.listFindings(ctx, { ...page(query), ...(regionId !== undefined ? { regionId } : {}), ...(kind !== undefined ? { kind } : {}) }),
      };
    },
  },
  {
    operationId: 'listDeliveries',
    summary: 'Event deliveries that failed for good (status=failed, the default) or are still being retried (status=retrying), by sink',
    method: 'GET',
    path: '/v1/deliveries',
    roles: ['admin', 'auditor'],
    query: 'ListDeliveriesQuery',
    responses: { 200: { schema: 'DeliveryPage', description: 'One page; nextCursor is absent on the last' } },
    errors: [],
    async handle({ ctx, governor, query }) {
      const status = (optionalString(query.status) ?? QUERIES.ListDeliveriesQuery.properties.status.default) as Exclude<DeliveryStatus, 'delivered'>;
      const sink = optionalString(query.sink) as SinkName | undefined;
      return { status: 200, body: await governor.listDeliveries(ctx, { ...page(query), status, ...(sink !== undefined ? { sink } : {}) }) };
    },
  },
];

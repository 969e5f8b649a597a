// `npm run tables:create`'s last step: every open request gets its rows in `requests_open`. The store
// writes them with every request it keeps open; requests stored before the index existed have none,
// and without them the approval queue and describe would not see those requests. Safe to run at any
// time and again: a row written for a request that has meanwhile finished is one the readers verify,
// skip and delete (README.md, "Share requests").
import { isOpenRequest, type RequestStatus } from '../domain/model.js';
import { requestIndexColumns } from './codec.js';
import { classify } from './errors.js';
import { openRowKeys, timeKey } from './keys.js';
import { TableStore, attributesOf, primaryKeyOf, type ClientFor, type PrimaryKeyInput } from './sdk.js';
import { tableNames } from './tables.js';

/** The operation on each table this step needs: deploy/ram-policy-tables.json grants exactly these. */
export const OPEN_INDEX_BACKFILL = [
  { operation: 'GetRange', table: 'requests' },
  { operation: 'BatchWriteRow', table: 'requests_open' },
] as const;

type BackfillClient = ClientFor<(typeof OPEN_INDEX_BACKFILL)[number]['operation'][]>;

/** Requests read per range page, and open-index rows written per BatchWriteRow (the service takes 200). */
const SCAN_PAGE = 1000;
const WRITE_BATCH = 200;

/** Writes the open-index rows of every open request; returns how many requests were open. */
export async function indexOpenRequests(client: BackfillClient, prefix: string): Promise<number> {
  const tables = tableNames(prefix);
  let start: PrimaryKeyInput = [{ request_id: TableStore.INF_MIN }];
  const rows: { primaryKey: Record<string, string>[]; attributeColumns: ReturnType<typeof requestIndexColumns> }[] = [];
  let open = 0;
  for (;;) {
    const page = await client.getRange({
      tableName: tables.requests,
      direction: 'FORWARD',
      inclusiveStartPrimaryKey: start,
      exclusiveEndPrimaryKey: [{ request_id: TableStore.INF_MAX }],
      limit: SCAN_PAGE,
      maxVersions: 1,
      columnsToGet: ['status', 'region_id', 'image_id', 'created_at'],
    });
    for (const row of page.rows) {
      const c = attributesOf(row);
      const request = {
        requestId: String(primaryKeyOf(row).get('request_id')),
        regionId: String(c.get('region_id')),
        imageId: String(c.get('image_id')),
      };
      if (!isOpenRequest(c.get('status') as RequestStatus)) continue;
      open += 1;
      const attributeColumns = requestIndexColumns(request);
      for (const primaryKey of openRowKeys(request.regionId, request.imageId, timeKey(String(c.get('created_at')), request.requestId))) {
        rows.push({ primaryKey, attributeColumns });
      }
    }
    if (!page.nextStartPrimaryKey || page.nextStartPrimaryKey.length === 0) break;
    start = page.nextStartPrimaryKey.map((k) => ({ [k.name]: k.value as string }));
  }
  for (let i = 0; i < rows.length; i += WRITE_BATCH) {
    const batch = rows.slice(i, i + WRITE_BATCH).map((r) => ({ type: 'PUT' as const, condition: new TableStore.Condition(TableStore.RowExistenceExpectation.IGNORE, null), ...r }));
    const result = await client.batchWriteRow({ tables: [{ tableName: tables.requests_open, rows: batch }] });
    const failed = result.tables.find((r) => !r.isOk);
    if (failed) throw new Error(`BatchWriteRow ${tables.requests_open} failed: ${classify({ code: failed.errorCode ?? 'OTSInternalServerError', message: failed.errorMessage ?? '' }).code}`);
  }
  return open;
}

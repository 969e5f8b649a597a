/**
 * PutEvents: a batch of CloudEvents for one bus. The batch is refused whole when it breaks the request
 * limits or names more than one bus; otherwise every entry is judged alone, and each valid entry for
 * an existing bus is stored, the others answered with an error code in their own result line.
 */
import { randomBytes } from 'node:crypto';
import { ebErrors, entryErrors, type EntryError } from '../errors.js';
import type { Operation, OperationContext } from './context.js';

/** The API reference's limits (the stricter of the published figures, see README). */
export const PUT_EVENTS_LIMITS = { maxEntries: 16, maxBatchBytes: 256 * 1024, maxEventBytes: 64 * 1024 } as const;

export const BUS_ATTRIBUTE = 'aliyuneventbusname';
const REQUIRED = ['id', 'source', 'specversion', 'type', 'time', BUS_ATTRIBUTE] as const;
const MAX_LENGTHS: Readonly<Record<string, number>> = { id: 128, source: 128, subject: 512, type: 64 };
const ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9-]*$/;
/** CloudEvents 1.0: attribute names are lower-case letters and digits. */
const ATTRIBUTE_NAME = /^[a-z0-9]+$/;
const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

type Entry = Record<string, unknown>;

const isEntry = (value: unknown): value is Entry => value !== null && typeof value === 'object' && !Array.isArray(value);

/** What is wrong with one entry, if anything, checked in the order a reader fixes them. */
function entryProblem(entry: unknown): EntryError | undefined {
  if (!isEntry(entry)) return entryErrors.invalid('An event must be a JSON object.');
  for (const name of REQUIRED) {
    if (typeof entry[name] !== 'string' || entry[name] === '') return entryErrors.invalid(`The attribute ${name} is required.`);
  }
  for (const [name, value] of Object.entries(entry)) {
    if (name === 'data') continue;
    if (name === 'data_base64') return entryErrors.invalid('Only JSON data is accepted (datacontenttype application/json); data_base64 is not.');
    if (!ATTRIBUTE_NAME.test(name)) return entryErrors.invalid(`The attribute name ${name} is not lower-case letters and digits.`);
    if (!['string', 'number', 'boolean'].includes(typeof value)) return entryErrors.invalid(`The attribute ${name} must be a string, number or boolean.`);
    const max = MAX_LENGTHS[name];
    if (max !== undefined && String(value).length > max) return entryErrors.invalid(`The attribute ${name} is longer than ${max} characters.`);
  }
  if (entry['specversion'] !== '1.0') return entryErrors.invalid(`The specversion ${String(entry['specversion'])} is not supported; use 1.0.`);
  if (!ID_PATTERN.test(entry['id'] as string)) return entryErrors.invalid('The attribute id must start with a letter or digit and hold letters, digits and hyphens only.');
  const time = entry['time'] as string;
  if (!RFC3339.test(time) || Number.isNaN(Date.parse(time))) return entryErrors.invalid(`The attribute time is not an RFC 3339 timestamp: ${time}`);
  const contentType = entry['datacontenttype'];
  if (contentType !== undefined && !/^application\/json\s*(;|$)/i.test(String(contentType))) {
    return entryErrors.invalid(`The datacontenttype ${String(contentType)} is not supported; use application/json.`);
  }
  const bytes = Buffer.byteLength(JSON.stringify(entry));
  if (bytes > PUT_EVENTS_LIMITS.maxEventBytes) return entryErrors.invalid(`The event is ${bytes} bytes; at most ${PUT_EVENTS_LIMITS.maxEventBytes} are allowed.`);
  return undefined;
}

/** The single bus the batch names (entries naming none are judged alone); throws when it names several. */
function batchBus(entries: readonly unknown[]): string {
  const buses = [...new Set(entries.filter(isEntry).map((entry) => entry[BUS_ATTRIBUTE]).filter((bus): bus is string => typeof bus === 'string' && bus !== ''))];
  if (buses.length > 1) throw ebErrors.moreThanOneBus(buses);
  return buses[0] ?? '';
}

export const putEvents: Operation = {
  name: 'PutEvents',
  contentType: 'application/cloudevents-batch+json',
  async run(context: OperationContext) {
    const { body } = context;
    if (!Array.isArray(body)) throw ebErrors.invalidArgument('The body must be a JSON array of CloudEvents.');
    if (body.length === 0) throw ebErrors.invalidArgument('The batch holds no event.');
    if (body.length > PUT_EVENTS_LIMITS.maxEntries) {
      throw ebErrors.invalidArgument(`The batch holds ${body.length} events; at most ${PUT_EVENTS_LIMITS.maxEntries} are allowed.`);
    }
    if (context.bodyBytes > PUT_EVENTS_LIMITS.maxBatchBytes) {
      throw ebErrors.invalidArgument(`The batch is ${context.bodyBytes} bytes; at most ${PUT_EVENTS_LIMITS.maxBatchBytes} are allowed.`);
    }
    const bus = batchBus(body);
    const fault = context.faults.drawRequest(bus);
    if (fault.latencyMs > 0) await sleep(fault.latencyMs);
    if (fault.error) throw fault.error;

    let failed = 0;
    const entryList = body.map((entry: unknown) => {
      const eventId = isEntry(entry) && typeof entry['id'] === 'string' ? { EventId: entry['id'] } : {};
      const error =
        entryProblem(entry) ?? (context.store.hasBus(bus) ? context.faults.drawEntry(bus) : entryErrors.busNotFound(bus));
      if (error) {
        failed += 1;
        return { ...eventId, ErrorCode: error.code, ErrorMessage: error.message };
      }
      context.store.append(bus, entry as Entry);
      return { ...eventId, TraceId: randomBytes(16).toString('hex') };
    });
    return {
      body: { ResourceOwnerAccountId: context.accountId, FailedEntryCount: failed, EntryList: entryList },
      entries: body.length,
      failed,
    };
  },
};

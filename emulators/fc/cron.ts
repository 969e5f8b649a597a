// Timer trigger schedules as Function Compute reads them:
//   `@every 5m` (also s, h and combinations such as `1h30m`), measured from when the timer starts;
//   six fields `sec min hour day-of-month month day-of-week`, in UTC unless prefixed with
//   `CRON_TZ=<IANA zone> `. Fields take `*`, `?`, numbers, ranges `a-b`, steps `*/n` and `a-b/n`,
//   lists `a,b`, month names JAN-DEC and day names SUN-SAT (0 or 7 = Sunday).
// When both day fields are restricted a day matches either of them, as in classic cron.

export type Schedule =
  | { readonly kind: 'every'; readonly intervalMs: number }
  | {
      readonly kind: 'cron';
      readonly timeZone: string;
      readonly seconds: ReadonlySet<number>;
      readonly minutes: ReadonlySet<number>;
      readonly hours: ReadonlySet<number>;
      readonly daysOfMonth: ReadonlySet<number>;
      readonly months: ReadonlySet<number>;
      readonly daysOfWeek: ReadonlySet<number>;
      readonly dayOfMonthAny: boolean;
      readonly dayOfWeekAny: boolean;
    };

export class CronError extends Error {
  constructor(expression: string, reason: string) {
    super(`invalid cronExpression "${expression}": ${reason}`);
    this.name = 'CronError';
  }
}

const MONTHS = ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'];
const DAYS = ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'];

interface FieldDef {
  readonly name: string;
  readonly min: number;
  readonly max: number;
  readonly names?: readonly string[];
  readonly namesStart?: number;
}

const FIELDS: readonly FieldDef[] = [
  { name: 'second', min: 0, max: 59 },
  { name: 'minute', min: 0, max: 59 },
  { name: 'hour', min: 0, max: 23 },
  { name: 'day-of-month', min: 1, max: 31 },
  { name: 'month', min: 1, max: 12, names: MONTHS, namesStart: 1 },
  { name: 'day-of-week', min: 0, max: 7, names: DAYS, namesStart: 0 },
];

function parseValue(token: string, def: FieldDef, expression: string): number {
  const upper = token.toUpperCase();
  const named = def.names?.indexOf(upper) ?? -1;
  if (named >= 0) return named + (def.namesStart ?? 0);
  if (!/^[0-9]+$/.test(token)) throw new CronError(expression, `${def.name}: "${token}" is not a number`);
  const n = Number(token);
  if (n < def.min || n > def.max) throw new CronError(expression, `${def.name}: ${n} is outside ${def.min}-${def.max}`);
  return n;
}

function parseField(text: string, def: FieldDef, expression: string): { values: Set<number>; any: boolean } {
  const values = new Set<number>();
  let any = false;
  for (const part of text.split(',')) {
    if (part === '') throw new CronError(expression, `${def.name}: empty list item`);
    const [range, stepText, extra] = part.split('/');
    if (extra !== undefined) throw new CronError(expression, `${def.name}: "${part}" has two steps`);
    let step = 1;
    if (stepText !== undefined) {
      if (!/^[0-9]+$/.test(stepText) || Number(stepText) === 0) throw new CronError(expression, `${def.name}: bad step "${stepText}"`);
      step = Number(stepText);
    }
    let lo: number;
    let hi: number;
    if (range === '*' || range === '?') {
      lo = def.min;
      hi = def.name === 'day-of-week' ? 6 : def.max;
      if (stepText === undefined) any = true;
    } else if (range!.includes('-')) {
      const [a, b, more] = range!.split('-');
      if (more !== undefined || a === undefined || b === undefined) throw new CronError(expression, `${def.name}: bad range "${range}"`);
      lo = parseValue(a, def, expression);
      hi = parseValue(b, def, expression);
      if (lo > hi) throw new CronError(expression, `${def.name}: range "${range}" runs backwards`);
    } else {
      lo = parseValue(range!, def, expression);
      hi = stepText === undefined ? lo : def.name === 'day-of-week' ? 6 : def.max;
    }
    for (let v = lo; v <= hi; v += step) values.add(def.name === 'day-of-week' && v === 7 ? 0 : v);
  }
  return { values, any };
}

const DURATION = /^(?:([0-9]+)h)?(?:([0-9]+)m)?(?:([0-9]+)s)?$/;

export function parseSchedule(expression: string): Schedule {
  let text = expression.trim();
  if (text.startsWith('@every')) {
    const d = DURATION.exec(text.slice('@every'.length).trim());
    if (!d || (d[1] === undefined && d[2] === undefined && d[3] === undefined)) throw new CronError(expression, 'expected @every <n>h<n>m<n>s');
    const ms = ((Number(d[1] ?? 0) * 60 + Number(d[2] ?? 0)) * 60 + Number(d[3] ?? 0)) * 1000;
    if (ms < 60_000) throw new CronError(expression, '@every must be at least 1m on Function Compute');
    return { kind: 'every', intervalMs: ms };
  }
  let timeZone = 'UTC';
  const tz = /^CRON_TZ=(\S+)\s+/.exec(text);
  if (tz) {
    timeZone = tz[1]!;
    text = text.slice(tz[0].length);
    try {
      new Intl.DateTimeFormat('en-US', { timeZone });
    } catch {
      throw new CronError(expression, `unknown time zone ${timeZone}`);
    }
  }
  const parts = text.split(/\s+/);
  if (parts.length !== 6) throw new CronError(expression, `expected six fields (sec min hour day month weekday), got ${parts.length}`);
  const f = parts.map((p, i) => parseField(p, FIELDS[i]!, expression));
  return {
    kind: 'cron',
    timeZone,
    seconds: f[0]!.values,
    minutes: f[1]!.values,
    hours: f[2]!.values,
    daysOfMonth: f[3]!.values,
    months: f[4]!.values,
    daysOfWeek: f[5]!.values,
    dayOfMonthAny: f[3]!.any,
    dayOfWeekAny: f[5]!.any,
  };
}

interface Parts {
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
  weekday: number;
}

const formatters = new Map<string, Intl.DateTimeFormat>();
function zoned(ms: number, timeZone: string): Parts {
  if (timeZone === 'UTC') {
    const d = new Date(ms);
    return { month: d.getUTCMonth() + 1, day: d.getUTCDate(), hour: d.getUTCHours(), minute: d.getUTCMinutes(), second: d.getUTCSeconds(), weekday: d.getUTCDay() };
  }
  let fmt = formatters.get(timeZone);
  if (!fmt) {
    fmt = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
      weekday: 'short',
    });
    formatters.set(timeZone, fmt);
  }
  const p: Record<string, string> = {};
  for (const { type, value } of fmt.formatToParts(new Date(ms))) p[type] = value;
  return {
    month: Number(p.month),
    day: Number(p.day),
    hour: Number(p.hour),
    minute: Number(p.minute),
    second: Number(p.second),
    weekday: DAYS.indexOf(String(p.weekday).toUpperCase().slice(0, 3)),
  };
}

/**
 * The first fire time strictly after `after` (ms since epoch). For `@every`, `anchor` is when the
 * timer started. Returns undefined if nothing matches within five years (e.g. 31 FEB).
 */
export function nextFire(schedule: Schedule, after: number, anchor = after): number | undefined {
  if (schedule.kind === 'every') {
    const n = Math.floor((after - anchor) / schedule.intervalMs) + 1;
    return anchor + n * schedule.intervalMs;
  }
  const s = schedule;
  let t = Math.floor(after / 1000) * 1000 + 1000;
  const limit = after + 5 * 366 * 86_400_000;
  while (t <= limit) {
    const p = zoned(t, s.timeZone);
    const secondsIntoDay = p.hour * 3600 + p.minute * 60 + p.second;
    const dom = s.daysOfMonth.has(p.day);
    const dow = s.daysOfWeek.has(p.weekday);
    const dayOk = s.dayOfMonthAny || s.dayOfWeekAny ? dom && dow : dom || dow;
    if (!s.months.has(p.month) || !dayOk) {
      // To the next local midnight, but a day with a daylight-saving change has 23 or 25 hours: stop
      // an hour short first (still the same day), so a short day never carries past the next midnight.
      const toMidnight = 86_400 - secondsIntoDay;
      t += (toMidnight > 3600 ? toMidnight - 3600 : toMidnight) * 1000;
    } else if (!s.hours.has(p.hour)) {
      t += (3600 - p.minute * 60 - p.second) * 1000;
    } else if (!s.minutes.has(p.minute)) {
      t += (60 - p.second) * 1000;
    } else if (!s.seconds.has(p.second)) {
      t += 1000;
    } else {
      return t;
    }
  }
  return undefined;
}

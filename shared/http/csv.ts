// CSV (RFC 4180) for listings: a header row naming the columns, then one row per item; CRLF line
// ends; a cell is quoted when it holds a comma, a double quote, CR or LF (a quote doubled inside). A
// cell a spreadsheet would run as a formula — first character `=`, `+`, `-`, `@`, tab or CR — gets a
// leading `'` (OWASP's advice against CSV injection), so text that anyone could influence is shown,
// never executed.

const FORMULA_START = /^[=+\-@\t\r]/;
const NEEDS_QUOTES = /[",\r\n]/;

function cell(value: unknown): string {
  if (value === undefined || value === null) return '';
  const text = typeof value === 'string' ? value : typeof value === 'number' || typeof value === 'boolean' ? String(value) : JSON.stringify(value);
  const safe = FORMULA_START.test(text) ? `'${text}` : text;
  return NEEDS_QUOTES.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}

/** The header row and one row per item; an item's missing field is an empty cell. */
export function toCsv(columns: readonly string[], items: readonly Readonly<Record<string, unknown>>[]): string {
  const line = (cells: readonly unknown[]): string => `${cells.map(cell).join(',')}\r\n`;
  return line(columns) + items.map((item) => line(columns.map((c) => item[c]))).join('');
}

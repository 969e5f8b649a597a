// A strict RFC 4180 reader for tests, written apart from the service's writer (shared/http/csv.ts) so
// a test reads back what a client's parser would: records end in CRLF, a quoted field may hold
// commas, CR, LF and doubled quotes, and a quote anywhere else is an error.
export function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = '';
  let quoted = false;
  let atStart = true;
  for (let i = 0; i < text.length; i += 1) {
    const c = text[i]!;
    if (quoted) {
      if (c !== '"') cell += c;
      else if (text[i + 1] === '"') {
        cell += '"';
        i += 1;
      } else quoted = false;
      continue;
    }
    if (c === '"' && atStart) {
      quoted = true;
      atStart = false;
    } else if (c === ',') {
      row.push(cell);
      cell = '';
      atStart = true;
    } else if (c === '\r' && text[i + 1] === '\n') {
      row.push(cell);
      rows.push(row);
      row = [];
      cell = '';
      atStart = true;
      i += 1;
    } else if (c === '"' || c === '\r' || c === '\n') {
      throw new Error(`CSV: unexpected ${JSON.stringify(c)} at offset ${i}`);
    } else {
      cell += c;
      atStart = false;
    }
  }
  if (quoted) throw new Error('CSV: a quoted field is not closed');
  if (row.length > 0 || cell !== '') throw new Error('CSV: the last record does not end in CRLF');
  return rows;
}

/** The records of a CSV with a header row, each keyed by the header; every record must have as many fields. */
export function csvRecords(text: string): { header: string[]; records: Record<string, string>[] } {
  const [header, ...rows] = parseCsv(text);
  if (!header) throw new Error('CSV: no header row');
  const records = rows.map((row, i) => {
    if (row.length !== header.length) throw new Error(`CSV: record ${i + 1} has ${row.length} fields, the header ${header.length}`);
    return Object.fromEntries(header.map((name, j) => [name, row[j]!]));
  });
  return { header, records };
}

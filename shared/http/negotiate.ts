// Content negotiation (RFC 9110 §12.5.1): which of the media types a route offers the client's
// Accept header prefers. Media ranges with q-values; the most specific range that matches a type
// gives its weight (`text/csv` over `text/*` over `*/*`); a tie goes to the route's order, whose
// first type is also the answer when Accept is absent. Parameters other than q are not compared.

interface MediaRange {
  readonly type: string;
  readonly subtype: string;
  readonly q: number;
}

const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
const QVALUE = /^(?:0(?:\.[0-9]{0,3})?|1(?:\.0{0,3})?)$/;

/** The media ranges of an Accept header; a malformed range is skipped, as if it were not there. */
function mediaRanges(accept: string): MediaRange[] {
  const out: MediaRange[] = [];
  for (const part of accept.split(',')) {
    const [range = '', ...params] = part.split(';').map((p) => p.trim());
    const [type = '', subtype = '', ...rest] = range.toLowerCase().split('/');
    if (rest.length > 0 || !TOKEN.test(type) || !TOKEN.test(subtype) || (type === '*' && subtype !== '*')) continue;
    const qParam = params.find((p) => /^q=/i.test(p));
    const qText = qParam?.slice(2).trim();
    if (qText !== undefined && !QVALUE.test(qText)) continue;
    out.push({ type, subtype, q: qText === undefined ? 1 : Number(qText) });
  }
  return out;
}

/** How specifically a range matches `type/subtype` (0: not at all). */
function specificity(range: MediaRange, type: string, subtype: string): number {
  if (range.type === '*') return 1;
  if (range.type !== type) return 0;
  if (range.subtype === '*') return 2;
  return range.subtype === subtype ? 3 : 0;
}

/** The offered type the client prefers, or undefined when it accepts none of them (406). */
export function preferredType(accept: string | undefined, offered: readonly string[]): string | undefined {
  if (accept === undefined || accept.trim() === '') return offered[0];
  const ranges = mediaRanges(accept);
  let best: { type: string; q: number } | undefined;
  for (const candidate of offered) {
    const [type = '', subtype = ''] = candidate.toLowerCase().split('/');
    let match: { specificity: number; q: number } = { specificity: 0, q: 0 };
    for (const range of ranges) {
      const s = specificity(range, type, subtype);
      if (s > match.specificity) match = { specificity: s, q: range.q };
    }
    if (match.q > 0 && (!best || match.q > best.q)) best = { type: candidate, q: match.q };
  }
  return best?.type;
}

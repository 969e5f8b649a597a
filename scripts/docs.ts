// `npm run docs`: writes the parts of README.md that are generated from their one source, between
// `<!-- generated:<name> -->` and `<!-- /generated:<name> -->` markers. test/unit/docs.test.ts fails
// when a committed part differs from what this renders.
import { readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { renderEnvironmentTable } from '../shared/environment.js';

const README = resolve(fileURLToPath(new URL('..', import.meta.url)), 'README.md');

/** name → rendered Markdown. */
export const GENERATED_PARTS: Readonly<Record<string, () => string>> = {
  environment: renderEnvironmentTable,
};

const markers = (name: string): [string, string] => [`<!-- generated:${name} -->`, `<!-- /generated:${name} -->`];

/** Where a part's text lies between its markers; throws when the markers are missing. */
function locate(text: string, name: string): { start: number; end: number } {
  const [open, close] = markers(name);
  const at = text.indexOf(open);
  const end = text.indexOf(close);
  if (at < 0 || end < at) throw new Error(`README.md lacks the markers of the generated part "${name}"`);
  return { start: at + open.length, end };
}

/** The committed text of a generated part. */
export const generatedPart = (text: string, name: string): string => {
  const { start, end } = locate(text, name);
  return text.slice(start, end).trim();
};

export function renderReadme(text: string): string {
  let out = text;
  for (const [name, render] of Object.entries(GENERATED_PARTS)) {
    const { start, end } = locate(out, name);
    out = `${out.slice(0, start)}\n${render()}\n${out.slice(end)}`;
  }
  return out;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const before = readFileSync(README, 'utf8');
  const after = renderReadme(before);
  writeFileSync(README, after);
  process.stdout.write(before === after ? 'README.md is current\n' : 'README.md updated\n');
}

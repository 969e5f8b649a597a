// The README's generated parts are what their one source renders today.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { GENERATED_PARTS, generatedPart, renderReadme } from '../../scripts/docs.js';

const README = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');

describe('README generated parts', () => {
  it.each(Object.keys(GENERATED_PARTS))('%s is current (run `npm run docs` after changing its source)', (name) => {
    expect(generatedPart(README, name)).toBe(GENERATED_PARTS[name]!());
  });

  it('re-rendering changes nothing else', () => {
    expect(renderReadme(README)).toBe(README);
  });

  it('refuses a README without the markers', () => {
    expect(() => generatedPart('# no markers', 'environment')).toThrow(/lacks the markers/);
  });
});

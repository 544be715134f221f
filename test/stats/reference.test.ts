import { readFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { type ReferenceCase, runners } from './reference-runners.js';
import { deviations, setDeviationLabel } from './tolerance.js';

interface ReferenceFile {
  generator: string;
  cases: ReferenceCase[];
}

const fixture = JSON.parse(
  readFileSync(new URL('../fixtures/stats-public.json', import.meta.url), 'utf8'),
) as ReferenceFile;

afterAll(() => {
  if (!process.env.STATS_DEVIATIONS) return;
  const rows = [...deviations.entries()].map(([test, d]) => `${test.padEnd(28)} ${d.rel.toExponential(2)}  ${d.field}`);
  console.log(`largest relative deviation from scipy per test:\n${rows.join('\n')}`);
});

describe(`scipy reference cases (${fixture.generator})`, () => {
  it('covers every test kind in the fixture', () => {
    const kinds = new Set(fixture.cases.map((c) => c.test));
    for (const kind of kinds) expect(runners, `runner for ${kind}`).toHaveProperty(kind);
    expect(fixture.cases.length).toBe(148);
  });

  it.each(fixture.cases.map((c) => [c.name, c] as const))('%s', (_name, c) => {
    const run = runners[c.test];
    if (!run) throw new Error(`no runner for ${c.test}`);
    setDeviationLabel(c.test);
    run(c);
  });
});

import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assignArm, cumulativeWeights, normaliseWeights, unitPoint } from '../../src/domain/assignment.js';
import { call, createTestApp, problem, type TestContext } from '../helpers/app.js';
import { getJson, ingest, iso, random } from '../helpers/analytics.js';
import { binaryModel, createModel, regressionModel } from '../helpers/fixtures.js';

let ctx: TestContext;
beforeAll(async () => {
  ctx = await createTestApp();
});
afterAll(() => ctx.close());

interface Case { name: string; test: string; inputs: Record<string, any>; expected: Record<string, any> }
const cases = (JSON.parse(readFileSync(new URL('../fixtures/stats-public.json', import.meta.url), 'utf8')) as { cases: Case[] }).cases;
const byName = (name: string) => cases.find((c) => c.name === name)!;
const rel = (a: number, b: number, tol = 1e-9) => expect(Math.abs(a - b), `${a} vs ${b}`).toBeLessThanOrEqual(tol * Math.abs(b) + 1e-12);

const DAY = 86_400_000;
const T0 = Date.parse('2024-10-01T00:00:00Z');

async function createVersions(model: string, versions: string[]) {
  for (const v of versions) {
    const r = await call(ctx.app, 'POST', `/v1/models/${model}/versions`, { name: v });
    if (r.statusCode !== 201) throw new Error(r.body);
  }
}

async function startExperiment(body: Record<string, unknown>) {
  const r = await call(ctx.app, 'POST', '/v1/experiments', body);
  if (r.statusCode !== 201) throw new Error(`create experiment: ${r.statusCode} ${r.body}`);
  return r.json() as { id: string; arms: { version: string; weight: number }[] } & Record<string, any>;
}

/** Units that the experiment assigns to `arm`, as a serving side following GET …/assignment would see them. */
function unitsFor(experimentId: string, weights: number[], arm: number, count: number, prefix = 'u'): string[] {
  const cumulative = cumulativeWeights(normaliseWeights(weights));
  const out: string[] = [];
  for (let i = 0; out.length < count; i++) if (assignArm(experimentId, `${prefix}-${i}`, cumulative).arm === arm) out.push(`${prefix}-${i}`);
  return out;
}

describe('POST /v1/experiments', () => {
  beforeAll(async () => {
    await createModel(ctx.app, binaryModel('val'), 'v1');
    await createVersions('val', ['v2']);
    await createModel(ctx.app, regressionModel('val-eta'), 'v1');
  });

  it('starts a sequential experiment by default with normalised weights and the task’s default metric', async () => {
    const e = await startExperiment({ name: 'val-default', model: 'val', arms: [{ version: 'v1', weight: 3 }, { version: 'v2' }] });
    expect(e).toMatchObject({
      name: 'val-default',
      model: 'val',
      task: 'binary',
      metric: 'accuracy',
      mode: 'sequential',
      tau: 0.1,
      minSamplesPerArm: 30,
      confidence: 0.95,
      outcomeSource: 'any',
      status: 'running',
      endsAt: null,
      winner: null,
      arms: [{ version: 'v1', weight: 0.75 }, { version: 'v2', weight: 0.25 }],
    });
    expect(await getJson(ctx.app, `/v1/experiments/${e.id}`)).toEqual(e);
    // One running experiment per model.
    const again = problem(await call(ctx.app, 'POST', '/v1/experiments', { name: 'val-other', model: 'val', arms: [{ version: 'v1' }, { version: 'v2' }] }), 409);
    expect(again.detail).toContain('val-default');
  });

  it('refuses what cannot be an experiment, naming the field', async () => {
    const body = (over: Record<string, unknown>) => ({ name: 'x', model: 'val-eta', arms: [{ version: 'v1' }, { version: 'v1' }], ...over });
    expect(problem(await call(ctx.app, 'POST', '/v1/experiments', body({})), 400).errors).toEqual([{ path: '/body/arms/1/version', message: expect.stringContaining('repeats arm 0') }]);
    expect(problem(await call(ctx.app, 'POST', '/v1/experiments', body({ arms: [{ version: 'v1' }] })), 400).errors![0]!.path).toBe('/body/arms');
    expect(problem(await call(ctx.app, 'POST', '/v1/experiments', body({ arms: [{ version: 'v1' }, { version: 'v9' }] })), 422).errors).toEqual([
      { path: '/body/arms/1/version', message: 'version "v9" is not registered for model "val-eta"' },
    ]);
    expect(problem(await call(ctx.app, 'POST', '/v1/experiments', body({ arms: [{ version: 'v1' }, { version: 'v1', weight: 0 }] })), 400).errors![0]!.path).toBe('/body/arms/1/weight');
    await createVersions('val-eta', ['v2']);
    const arms = [{ version: 'v1' }, { version: 'v2' }];
    expect(problem(await call(ctx.app, 'POST', '/v1/experiments', body({ arms, metric: 'accuracy' })), 422).errors).toEqual([{ path: '/body/metric', message: 'must be mae or rmse or mape for a regression model' }]);
    expect(problem(await call(ctx.app, 'POST', '/v1/experiments', body({ arms, mode: 'fixed' })), 400).errors![0]!.path).toBe('/body/endsAt');
    expect(problem(await call(ctx.app, 'POST', '/v1/experiments', body({ arms, mode: 'fixed', duration: '14d', tau: 0.2 })), 400).errors![0]!.path).toBe('/body/tau');
    expect(problem(await call(ctx.app, 'POST', '/v1/experiments', body({ arms, endsAt: '2024-01-01T00:00:00Z', duration: '1d' })), 400).errors![0]!.path).toBe('/body/duration');
    expect(problem(await call(ctx.app, 'POST', '/v1/experiments', body({ arms, startsAt: '2024-02-01T00:00:00Z', endsAt: '2024-01-01T00:00:00Z' })), 400).errors![0]!.path).toBe('/body/endsAt');
    expect(problem(await call(ctx.app, 'POST', '/v1/experiments', body({ arms, confidence: 1 })), 400).errors![0]!.path).toBe('/body/confidence');
    expect(problem(await call(ctx.app, 'POST', '/v1/experiments', body({ arms, model: 'nope' })), 404).detail).toContain('nope');
    const fixed = await startExperiment(body({ name: 'val-eta-fixed', arms, mode: 'fixed', metric: 'rmse', startsAt: '2024-10-01T00:00:00Z', duration: '14d' }));
    expect(fixed).toMatchObject({ mode: 'fixed', tau: null, metric: 'rmse', startsAt: '2024-10-01T00:00:00.000Z', endsAt: '2024-10-15T00:00:00.000Z' });
    expect(problem(await call(ctx.app, 'POST', '/v1/experiments', body({ name: 'val-eta-fixed', model: 'val', arms })), 409).errors).toEqual([{ path: '/body/name', message: 'is taken' }]);
  });

  it('lists newest first, filtered by model and status, with a cursor', async () => {
    const all = await getJson(ctx.app, '/v1/experiments?model=val-eta');
    expect(all.items.map((e: any) => e.name)).toEqual(['val-eta-fixed']);
    const first = await getJson(ctx.app, '/v1/experiments?status=running&limit=1');
    expect(first.items).toHaveLength(1);
    const second = await getJson(ctx.app, `/v1/experiments?status=running&limit=1&cursor=${first.nextCursor}`);
    expect(second.items[0].id).not.toBe(first.items[0].id);
    expect(problem(await call(ctx.app, 'GET', '/v1/experiments/0192f6c4-3b1e-7c2a-9d1e-5a4b3c2d1e0f'), 404).detail).toContain('experiment');
    expect(problem(await call(ctx.app, 'GET', '/v1/experiments/not-an-id'), 400).errors![0]!.path).toBe('/params/id');
  });
});

describe('GET /v1/experiments/{id}/assignment', () => {
  let id: string;
  beforeAll(async () => {
    await createModel(ctx.app, binaryModel('asg'), 'a');
    await createVersions('asg', ['b', 'c']);
    id = (await startExperiment({ name: 'asg', model: 'asg', arms: [{ version: 'a', weight: 2 }, { version: 'b', weight: 1 }, { version: 'c', weight: 1 }] })).id;
  });

  it('is deterministic, follows the hash rule and the weights', async () => {
    const counts = [0, 0, 0];
    for (let i = 0; i < 2000; i++) {
      const a = await getJson(ctx.app, `/v1/experiments/${id}/assignment?unit=user-${i}`);
      const expected = assignArm(id, `user-${i}`, [0.5, 0.75, 1]);
      expect(a).toMatchObject({ experiment: id, model: 'asg', unit: `user-${i}`, arm: expected.arm, version: ['a', 'b', 'c'][expected.arm], control: expected.arm === 0, status: 'running' });
      expect(a.point).toBe(unitPoint(id, `user-${i}`));
      counts[a.arm]!++;
    }
    expect(Math.abs(counts[0]! / 2000 - 0.5)).toBeLessThan(0.03);
    expect(await getJson(ctx.app, `/v1/experiments/${id}/assignment?unit=user-7`)).toEqual(await getJson(ctx.app, `/v1/experiments/${id}/assignment?unit=user-7`));
  });

  it('needs the ingest scope (the serving side’s) and access to the model', async () => {
    const key = async (scopes: string[], models?: string[]) =>
      (await call(ctx.app, 'POST', '/v1/api-keys', { name: `k-${scopes.join()}-${models?.join() ?? ''}`, scopes, ...(models ? { models } : {}) })).json().key as string;
    const ingestKey = await key(['ingest'], ['asg']);
    expect((await call(ctx.app, 'GET', `/v1/experiments/${id}/assignment?unit=u1`, undefined, ingestKey)).statusCode).toBe(200);
    problem(await call(ctx.app, 'GET', `/v1/experiments/${id}/assignment?unit=u1`, undefined, await key(['read'])), 403);
    const other = await key(['ingest', 'read'], ['val']);
    problem(await call(ctx.app, 'GET', `/v1/experiments/${id}/assignment?unit=u1`, undefined, other), 403);
    problem(await call(ctx.app, 'GET', `/v1/experiments/${id}/results`, undefined, other), 403);
    expect((await getJson(ctx.app, '/v1/experiments')).items.length).toBeGreaterThan((await call(ctx.app, 'GET', '/v1/experiments', undefined, other)).json().items.length);
    problem(await call(ctx.app, 'GET', `/v1/experiments/${id}/assignment`), 400);
  });
});

/** Logs one labeled prediction per value for an arm: binary (correct or not) or regression (predicted = value, actual = 0). */
async function logArm(model: string, version: string, units: string[], outcomes: { predicted: string | number; actual: string | number }[], at: (i: number) => number) {
  await ingest(
    ctx.app,
    outcomes.map((o, i) => ({
      model,
      version,
      id: `${model}-${version}-${units[i]}`,
      unit: units[i],
      features: { x: i % 7 },
      prediction: o.predicted,
      predictedAt: iso(at(i)),
      actual: o.actual,
      observedAt: iso(at(i) + 3_600_000),
    })),
  );
}

describe('results match scipy on the reference cases (fixed mode, fed through the API)', () => {
  it.each(['proportions_ztest/clearly_different', 'proportions_ztest/random', 'proportions_ztest/tiny_counts', 'proportions_ztest/zero_vs_all'])('two-proportion z: %s', async (name) => {
    const c = byName(name);
    const { x1, n1, x2, n2 } = c.inputs as Record<string, number>;
    const model = `pz-${name.split('/')[1]!.replaceAll('_', '-')}`;
    await createModel(ctx.app, binaryModel(model), 'control');
    await createVersions(model, ['treatment']);
    // Treatment = scipy's sample 1 (x1 of n1 correct), control = sample 2: the difference is treatment − control.
    const e = await startExperiment({ name: model, model, mode: 'fixed', minSamplesPerArm: 2, startsAt: iso(T0), endsAt: iso(T0 + 10 * DAY), arms: [{ version: 'control', weight: n2! }, { version: 'treatment', weight: n1! }] });
    const weights = [n2!, n1!];
    const correct = (x: number, n: number) => Array.from({ length: n }, (_, i) => ({ predicted: 'LAL', actual: i < x ? 'LAL' : 'BOS' }));
    await logArm(model, 'control', unitsFor(e.id, weights, 0, n2!), correct(x2!, n2!), (i) => T0 + (i % 9) * DAY + i);
    await logArm(model, 'treatment', unitsFor(e.id, weights, 1, n1!), correct(x1!, n1!), (i) => T0 + (i % 9) * DAY + i);
    const r = await getJson(ctx.app, `/v1/experiments/${e.id}/results`);
    expect(r.arms.map((a: any) => [a.version, a.n, a.predictions, a.misassigned])).toEqual([['control', n2, n2, 0], ['treatment', n1, n1, 0]]);
    rel(r.arms[1].metrics.accuracy, x1! / n1!);
    const cmp = r.comparisons[0];
    expect(cmp.test).toBe('two-proportion-z');
    rel(cmp.statistic, c.expected.z);
    rel(cmp.pValue, c.expected.pvalue);
    rel(cmp.standardError, c.expected.se);
    const half = 1.959963984540054 * Math.sqrt(((x1! / n1!) * (1 - x1! / n1!)) / n1! + ((x2! / n2!) * (1 - x2! / n2!)) / n2!);
    rel(cmp.confidenceInterval.lower, x1! / n1! - x2! / n2! - half);
    expect(r.srm.detected).toBe(false);
    expect(r.warnings).toEqual([expect.stringMatching(/^the experiment ended at 2024-10-11T00:00:00.000Z: later predictions do not count; conclude it/)]);
    expect(r.winner).toBe(c.expected.pvalue < 0.05 ? (x1! / n1! > x2! / n2! ? 'treatment' : 'control') : null);
  });

  const welchIntervals: Record<string, [number, number]> = {
    // scipy 1.17 ttest_ind(x, y, equal_var=False).confidence_interval(0.95)
    'ttest_ind/ties_integers': [-2.4401681073311208, 0.17350144066445305],
    'ttest_ind/large': [-0.3149528177119, -0.00695038128809769],
  };
  it.each(Object.keys(welchIntervals))('Welch t on absolute errors: %s', async (name) => {
    const c = byName(name);
    const x = c.inputs.x as number[];
    const y = c.inputs.y as number[];
    const model = `wt-${name.split('/')[1]!.replaceAll('_', '-')}`;
    await createModel(ctx.app, regressionModel(model), 'control');
    await createVersions(model, ['treatment']);
    const e = await startExperiment({ name: model, model, mode: 'fixed', metric: 'mae', minSamplesPerArm: 2, startsAt: iso(T0), endsAt: iso(T0 + 10 * DAY), arms: [{ version: 'control', weight: y.length }, { version: 'treatment', weight: x.length }] });
    const weights = [y.length, x.length];
    await logArm(model, 'control', unitsFor(e.id, weights, 0, y.length), y.map((v) => ({ predicted: v, actual: 0 })), (i) => T0 + (i % 9) * DAY + i);
    await logArm(model, 'treatment', unitsFor(e.id, weights, 1, x.length), x.map((v) => ({ predicted: v, actual: 0 })), (i) => T0 + (i % 9) * DAY + i);
    const r = await getJson(ctx.app, `/v1/experiments/${e.id}/results`);
    const cmp = r.comparisons[0];
    expect(cmp.test).toBe('welch-t');
    rel(cmp.statistic, c.expected.welch.statistic);
    rel(cmp.pValue, c.expected.welch.pvalue);
    rel(cmp.df, c.expected.welch.df);
    rel(cmp.confidenceInterval.lower, welchIntervals[name]![0]);
    rel(cmp.confidenceInterval.upper, welchIntervals[name]![1]);
    rel(r.arms[1].metrics.mae, x.reduce((s, v) => s + v, 0) / x.length);
  });
});

/** A binary experiment with `perDay` predictions per arm per day over `days` days; arm accuracies as given. */
async function simulateBinary(model: string, seed: number, accuracies: [number, number], options: { days: number; perDay: number; mode?: string; weights?: [number, number]; skew?: [number, number] }) {
  await createModel(ctx.app, binaryModel(model), 'v3');
  await createVersions(model, ['v4']);
  const weights = options.weights ?? [1, 1];
  const e = await startExperiment({ name: model, model, mode: options.mode ?? 'sequential', startsAt: iso(T0), arms: [{ version: 'v3', weight: weights[0] }, { version: 'v4', weight: weights[1] }] });
  const rnd = random(seed);
  for (let arm = 0; arm < 2; arm++) {
    const n = options.days * options.perDay * (options.skew?.[arm] ?? 1);
    const units = unitsFor(e.id, weights, arm, n, `s${seed}`);
    const outcomes = units.map(() => ({ predicted: 'LAL', actual: rnd.next() < accuracies[arm]! ? 'LAL' : 'BOS' }));
    await logArm(model, arm === 0 ? 'v3' : 'v4', units, outcomes, (i) => T0 + Math.floor(i / (n / options.days)) * DAY + 60_000 + i);
  }
  return e;
}

describe('simulated experiments through the API', () => {
  it('finds the better version (sequential, daily looks)', async () => {
    const e = await simulateBinary('sim-better', 11, [0.6, 0.8], { days: 10, perDay: 80 });
    const r = await getJson(ctx.app, `/v1/experiments/${e.id}/results`);
    expect(r.test.name).toBe('msprt-normal-mixture');
    expect(r.test.sequential.reference).toContain('Johari');
    expect(r.comparisons[0].looks).toBe(10);
    expect(r.comparisons[0].better).toBe('treatment');
    expect(r.winner).toBe('v4');
    expect(r.reason).toMatch(/v4 has higher accuracy than control v3/);
    expect(r.comparisons[0].confidenceInterval.lower).toBeGreaterThan(0);
  });

  it('declares no winner in A/A experiments (a few seeds; the many-seed runs are in test/domain)', async () => {
    for (const seed of [1, 2, 3, 4, 5]) {
      const e = await simulateBinary(`sim-aa-${seed}`, seed, [0.7, 0.7], { days: 10, perDay: 40 });
      const r = await getJson(ctx.app, `/v1/experiments/${e.id}/results`);
      expect(r.winner, `seed ${seed}: ${r.reason}`).toBeNull();
      expect(r.reason).toMatch(/no arm differs significantly/);
    }
  });

  it('detects a sample ratio mismatch on a skewed split, and declares no winner', async () => {
    const e = await simulateBinary('sim-srm', 21, [0.65, 0.8], { days: 5, perDay: 60, skew: [1, 0.7] });
    const r = await getJson(ctx.app, `/v1/experiments/${e.id}/results`);
    expect(r.srm).toMatchObject({ test: 'chi-square-goodness-of-fit', unit: 'units', observed: [300, 210], expected: [255, 255], detected: true, threshold: 0.001 });
    expect(r.srm.pValue).toBeLessThan(0.001);
    expect(r.winner).toBeNull();
    expect(r.reason).toMatch(/sample ratio mismatch/);
    const found = await ctx.app.services.experiments.sampleRatioMismatches();
    expect(found.map((f) => f.experiment.name)).toContain('sim-srm');
    expect(found.map((f) => f.experiment.name)).not.toContain('sim-better');
  });

  it('warns when predictions come from units assigned to another arm', async () => {
    await createModel(ctx.app, binaryModel('sim-mis'), 'v3');
    await createVersions('sim-mis', ['v4']);
    const e = await startExperiment({ name: 'sim-mis', model: 'sim-mis', startsAt: iso(T0), arms: [{ version: 'v3' }, { version: 'v4' }] });
    const wrong = unitsFor(e.id, [1, 1], 0, 4, 'w');
    await logArm('sim-mis', 'v4', wrong, wrong.map(() => ({ predicted: 'LAL', actual: 'LAL' })), (i) => T0 + i);
    const r = await getJson(ctx.app, `/v1/experiments/${e.id}/results`);
    expect(r.arms[1]).toMatchObject({ predictions: 4, misassigned: 4 });
    expect(r.warnings[0]).toMatch(/4 of the 4 predictions of v4 come from units/);
    expect(r.winner).toBeNull();
    expect(r.reason).toMatch(/at least 30 labeled predictions: v3 has 0, v4 has 4/);
  });
});

describe('POST /v1/experiments/{id}/conclude', () => {
  it('refuses to promote without a winner and leaves the experiment running', async () => {
    const e = await simulateBinary('con-none', 3, [0.7, 0.7], { days: 3, perDay: 20 });
    const p = problem(await call(ctx.app, 'POST', `/v1/experiments/${e.id}/conclude`, { promote: true }), 409);
    expect(p.detail).toMatch(/no winner to promote/);
    expect((await getJson(ctx.app, `/v1/experiments/${e.id}`)).status).toBe('running');
    const done = (await call(ctx.app, 'POST', `/v1/experiments/${e.id}/conclude`)).json();
    expect(done).toMatchObject({ experiment: { status: 'concluded', winner: null }, promotion: null, results: { frozen: true, winner: null } });
    // Concluded without a winner: every unit gets the control.
    expect((await getJson(ctx.app, `/v1/experiments/${e.id}/assignment?unit=anyone`)).version).toBe('v3');
  });

  it('freezes the results, promotes the winner, and sends every unit to it', async () => {
    const e = await simulateBinary('con-win', 11, [0.65, 0.8], { days: 10, perDay: 80 });
    const r = await call(ctx.app, 'POST', `/v1/experiments/${e.id}/conclude`, { promote: true });
    expect(r.statusCode).toBe(200);
    const body = r.json();
    expect(body.experiment).toMatchObject({ status: 'concluded', winner: 'v4' });
    expect(body.experiment.concludedAt).toBeTruthy();
    expect(body.promotion).toMatchObject({ action: 'promoted', productionVersion: 'v4', previousVersion: 'v3' });
    expect((await getJson(ctx.app, '/v1/models/con-win')).productionVersion).toBe('v4');
    const frozen = await getJson(ctx.app, `/v1/experiments/${e.id}/results`);
    expect(frozen).toEqual(body.results);
    expect(frozen.experiment.status).toBe('concluded');
    // Later predictions and outcomes change nothing.
    const more = unitsFor(e.id, [1, 1], 0, 50, 'late');
    await logArm('con-win', 'v3', more, more.map(() => ({ predicted: 'LAL', actual: 'LAL' })), (i) => T0 + 2 * DAY + i);
    expect(await getJson(ctx.app, `/v1/experiments/${e.id}/results`)).toEqual(frozen);
    for (const unit of ['a', 'b', 'c', 'd']) expect((await getJson(ctx.app, `/v1/experiments/${e.id}/assignment?unit=${unit}`)).version).toBe('v4');
    expect(problem(await call(ctx.app, 'POST', `/v1/experiments/${e.id}/conclude`, {}), 409).detail).toMatch(/already concluded/);
    // The model is free for a new experiment, but not over the span of the concluded one (its predictions would count twice).
    const overlap = problem(await call(ctx.app, 'POST', '/v1/experiments', { name: 'con-win-2', model: 'con-win', startsAt: iso(T0), arms: [{ version: 'v4' }, { version: 'v3' }] }), 409);
    expect(overlap.errors![0]!.path).toBe('/body/startsAt');
    await startExperiment({ name: 'con-win-2', model: 'con-win', arms: [{ version: 'v4' }, { version: 'v3' }] });
  });

  it('in fixed mode decides no winner before the planned end', async () => {
    await createModel(ctx.app, binaryModel('fix-early'), 'v3');
    await createVersions('fix-early', ['v4']);
    const e = await startExperiment({ name: 'fix-early', model: 'fix-early', mode: 'fixed', startsAt: iso(T0), endsAt: iso(Date.now() + 7 * DAY), arms: [{ version: 'v3' }, { version: 'v4' }] });
    const rnd = random(5);
    for (const [arm, accuracy] of [[0, 0.6], [1, 0.9]] as const) {
      const units = unitsFor(e.id, [1, 1], arm, 200, 'f');
      await logArm('fix-early', arm ? 'v4' : 'v3', units, units.map(() => ({ predicted: 'LAL', actual: rnd.next() < accuracy ? 'LAL' : 'BOS' })), (i) => T0 + i * 60_000);
    }
    const r = await getJson(ctx.app, `/v1/experiments/${e.id}/results`);
    expect(r.comparisons[0].significant).toBe(true);
    expect(r.winner).toBeNull();
    expect(r.reason).toMatch(/fixed-horizon test: the winner is decided once the experiment ends/);
  });
});

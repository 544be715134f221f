// npm run demo: a model in production over four simulated weeks, against a running Hindsight.
//   HINDSIGHT_URL  where Hindsight runs (or HS; default http://127.0.0.1:$PORT, PORT defaulting to 3000)
//   KEY            an admin API key (or HINDSIGHT_ADMIN_KEY; default: .data/admin-key, which `npm start` writes in embedded mode)
//   DEMO_OUTPUT_DIR  where the report page is saved (default .data/demo)
// Hindsight must allow a webhook to this machine (its trainer listens on 127.0.0.1): `npm start` in embedded mode
// does by default; with DATABASE_URL, start it with HINDSIGHT_WEBHOOK_ALLOW_PRIVATE=true.
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { ApiError, DemoError, type Hindsight, connect, resolveBase, resolveKey } from './demo/client.js';
import { runDailyJob } from './demo/daily-job.js';
import { PER_DAY, WEEKS, backfill, shadowTraffic } from './demo/simulate.js';
import { type Trainer, startTrainer } from './demo/trainer.js';
import { V1_RULE, describeStump, rng } from './demo/world.js';

const started = Date.now();
/** Where the demo saves the report page it fetched: DEMO_OUTPUT_DIR, else .data/demo (beside the embedded database, ignored by git). */
const DEMO_DIR = path.resolve(import.meta.dirname, '..', process.env.DEMO_OUTPUT_DIR?.trim() || path.join('.data', 'demo'));
const pct = (x: number) => `${(100 * x).toFixed(1)}%`;
const secs = (ms: number | null) => (ms === null ? '?' : `${(ms / 1000).toFixed(1)} s`);
const signed = (x: number, digits: number) => `${x < 0 ? '−' : '+'}${Math.abs(x).toFixed(digits)}`;
let step = 0;
let modelPrefix = '';
/** A line of the report for the terminal: without the model's name in front of each alert title, at most 220 characters. */
const short = (text: string) => {
  const line = modelPrefix ? text.replaceAll(modelPrefix, '') : text;
  return line.length > 220 ? `${line.slice(0, 219)}…` : line;
};
const say = (text: string) => console.log(`${String(++step).padStart(2)}. ${text}`);
const detail = (text: string) => console.log(`      ${text}`);

function modelName(): string {
  const stamp = new Date().toISOString().slice(0, 19).replace(/[-:]/g, '').replace('T', '-');
  return `demo-churn-${stamp}-${Math.random().toString(36).slice(2, 5)}`;
}

async function registerWebhook(hs: Hindsight, m: string, trainer: Trainer): Promise<string> {
  try {
    return (await hs.put<{ secret: string }>(`${m}/webhook`, { url: trainer.url })).secret;
  } catch (error) {
    if (error instanceof ApiError && error.status === 422) {
      throw new DemoError(
        `Hindsight refused the local trainer's webhook URL ${trainer.url}: ${error.problem?.errors?.[0]?.message ?? error.problem?.detail}`,
        'this Hindsight refuses webhooks to loopback and private addresses (the default with DATABASE_URL; embedded mode allows them). ' +
          'For local development, restart it with:\n\n      HINDSIGHT_WEBHOOK_ALLOW_PRIVATE=true npm start\n\n    then run `npm run demo` again.',
      );
    }
    throw error;
  }
}

async function main(trainerRef: { trainer?: Trainer }): Promise<void> {
  const HS = resolveBase(process.env);
  const key = await resolveKey(process.env);
  const hs = await connect(HS, key);
  const model = modelName();
  modelPrefix = `${model}: `;
  const m = `/v1/models/${model}`;
  const r = rng(20_241_018);
  console.log(`Hindsight demo against ${HS}: a churn model in production over ${WEEKS} simulated weeks\n`);

  await hs.post('/v1/models', { name: model, task: 'binary', labels: ['churn', 'stay'], positiveLabel: 'churn', description: 'Hindsight demo: will a subscriber cancel this month?' });
  await hs.post(`${m}/versions`, { name: 'v1', status: 'production', metrics: { accuracy: 0.82 }, description: `decision stump: ${describeStump(V1_RULE)}`, artifactUri: 'demo://stump/supportTickets/churn-above/2.5' });
  say(`Registered model ${model} (binary: churn / stay) with v1 in production (${describeStump(V1_RULE)}; training accuracy 82.0%)`);

  await hs.put(`${m}/policy`, { accuracyBelow: 0.75, minSamples: 50, window: '7d', driftSeverity: 'high', cooldown: '1h', autoTrigger: true, minImprovement: 0.02, trainingWindow: '7d' });
  say('Retrain policy: accuracy below 75% over 7 days (at least 50 outcomes) or drift high or worse; autoTrigger on; train on the last 7 days');

  const trainer = await startTrainer('v2');
  trainerRef.trainer = trainer;
  const secret = await registerWebhook(hs, m, trainer);
  trainer.setSecret(secret);
  say(`Local trainer listening on ${trainer.url}, registered as the training webhook (secret ${secret.slice(0, 10)}…)`);

  const history = await backfill(hs, model, r, Date.now());
  say(`Backfilled ${WEEKS} weeks: ${history.predictions.toLocaleString('en-US')} predictions of v1 (${PER_DAY} a day), ${history.outcomes.toLocaleString('en-US')} outcomes arriving ${Math.round(history.delayHours.min)}–${Math.round(history.delayHours.max)} h late`);
  detail(`weeks 1–${WEEKS - 1}: v1 accuracy ${pct(history.accuracy.before)}; churn follows support tickets, as v1 learned`);
  detail(`week ${WEEKS}:   v1 accuracy ${pct(history.accuracy.after)}; drift onset: a price rise moves monthlySpend ${history.meanSpend.before.toFixed(0)} → ${history.meanSpend.after.toFixed(0)}, and churn now follows it`);

  const first = await runDailyJob(hs, model);
  say(`Daily job: POST /v1/jobs/daily-learning/runs → run ${first.id} ${first.status} in ${secs(first.durationMs)}${first.error ? ` (for other models: ${first.error})` : ''}`);
  const drift = (await hs.get(`${m}/drift-reports?limit=1`)).items[0];
  if (!drift) throw new DemoError('the daily job stored no drift report for the model');
  const drifted = drift.features.filter((f: { drifted: boolean }) => f.drifted).map((f: { feature: string; severity: string }) => `${f.feature} (${f.severity})`);
  detail(`drift report: ${drift.severity}; ${drifted.length} of ${drift.features.length} features drifted: ${drifted.join(', ') || 'none'}`);
  if (drift.concept) detail(`live accuracy ${pct(drift.concept.reference)} → ${pct(drift.concept.current)}${drift.concept.changePercent === null ? '' : ` (${signed(drift.concept.changePercent, 1)}%)`}, concept drift ${drift.concept.severity}`);
  const alerts = (await hs.get(`${m}/report?period=30d`)).alerts as { severity: string; title: string; count: number }[];
  for (const a of alerts.slice(0, 4)) detail(`alert [${a.severity}] ${short(a.title)}`);
  if (alerts.length === 0) detail('alerts: none raised');
  const request = (await hs.get(`${m}/retrain-requests?limit=1`)).items[0];
  if (!request) {
    const decision = await hs.get(`${m}/retrain-decision`);
    throw new DemoError(`the daily job started no retrain request: ${decision.reasons.join('; ') || 'no reason to retrain'}${decision.blockedBy.length ? `; blocked by ${decision.blockedBy.join('; ')}` : ''}`);
  }
  detail(`retrain request ${request.id} (${request.trigger}): ${request.reasons.join('; ')}`);
  detail(`dataset #${request.dataset.number} frozen: ${request.dataset.rows.toLocaleString('en-US')} labeled predictions; webhook ${request.delivery?.webhookId ?? '?'} → ${request.delivery?.status ?? '?'}`);

  const training = await trainer.trained(60_000);
  say(`Trainer received retrain.requested, webhook-id ${training.webhookId}: signature verified (standardwebhooks)`);
  if (training.retrainRequestId !== request.id) throw new DemoError(`the trainer was asked for request ${training.retrainRequestId}, the daily job started ${request.id}`);
  detail(`downloaded dataset #${training.dataset.number} through its signed URL: ${training.dataset.rows.toLocaleString('en-US')} rows, SHA-256 ${training.dataset.sha256.slice(0, 12)}… checked`);
  detail(`trained a decision stump: ${describeStump(training.stump)}; training accuracy ${pct(training.accuracy)} (v1 on the same rows: ${pct(training.productionAccuracy)})`);
  const gate1 = training.callback.body?.candidate?.gate;
  detail(`called back (signed, no API key): ${training.version} registered as a candidate; gate: ${gate1?.status ?? '?'} — ${gate1?.reason ?? ''}`);

  const shadow = await shadowTraffic(hs, model, r, { version: training.version, stump: training.stump }, 300);
  say(`Shadow traffic: ${shadow.n} live customers scored by v1 and ${training.version}, outcomes recorded: v1 ${pct(shadow.v1)}, ${training.version} ${pct(shadow.candidate)}`);

  const second = await runDailyJob(hs, model);
  say(`Daily job again: run ${second.id} ${second.status} in ${secs(second.durationMs)}${second.error ? ` (for other models: ${second.error})` : ''}`);
  const judged = await hs.get(`/v1/retrain-requests/${request.id}`);
  const production = (await hs.get(m)).productionVersion;
  detail(`validation gate: ${judged.candidate?.gate?.status ?? '?'} — ${judged.candidate?.gate?.reason ?? 'no decision recorded'}`);
  detail(`production version: ${production}`);
  if (production !== training.version) throw new DemoError(`the gate did not promote ${training.version}: ${judged.candidate?.gate?.reason ?? 'no decision recorded'}`);

  const report = await hs.get(`${m}/report?period=30d`);
  say(`Learning report (${report.summary.status}): ${report.summary.headline}`);
  // The report covers the whole 30 days: the last week's drift and alerts stay in it after v2 took over.
  detail(`(the last 30 days: v2 serves now, and the week of drift before it stays in the report)`);
  for (const line of report.summary.changes.slice(0, 5)) detail(`· ${short(line)}`);
  for (const line of report.summary.attention.slice(0, 3)) detail(`! ${short(line)}`);
  // The page needs the key like every route (a browser's address bar cannot send it): save a copy to open.
  const page = await hs.text(`${m}/report.html?period=30d`);
  const saved = path.join(DEMO_DIR, `${model}.html`);
  await mkdir(DEMO_DIR, { recursive: true });
  await writeFile(saved, page);
  const auth = key.source === 'KEY' || key.source === 'HINDSIGHT_ADMIN_KEY' ? `$${key.source}` : `$(cat ${key.source})`;
  console.log(`
The report (the page and the JSON need the key, so open the saved copy or use curl):
  page   file://${saved}
  HTML   curl -sH "Authorization: Bearer ${auth}" "${HS}${m}/report.html?period=30d" > report.html
  JSON   curl -sH "Authorization: Bearer ${auth}" "${HS}${m}/report?period=30d"
  API    ${HS}/docs  (Swagger UI: Authorize with the key, then the "reports" section)
Done in ${Math.round((Date.now() - started) / 1000)} s.`);
}

const ref: { trainer?: Trainer } = {};
try {
  await main(ref);
  await ref.trainer?.close();
} catch (error) {
  await ref.trainer?.close().catch(() => {});
  const hint = error instanceof DemoError ? error.hint : undefined;
  console.error(`\n✗ The demo failed: ${(error as Error).message}${hint ? `\n  → ${hint}` : ''}`);
  if (!(error instanceof DemoError)) console.error((error as Error).stack);
  process.exit(1);
}

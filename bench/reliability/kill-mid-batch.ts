import type { ServerHandle } from '../lib/children.js';
import { Tally, backoff, post, sleep } from './lib/client.js';
import { type Scenario, check, predictionBody, registerModel, withClient } from './lib/harness.js';

const BATCH_SIZE = 500;
const CONCURRENCY = 4;
const KILLS = 3;
/** Load between kills, long enough for several batches to be in flight at each kill. */
const RUN_MS = 2_500;
const CONVERGE_MS = 60_000;

interface BatchState {
  id: string;
  ids: string[];
  acknowledged: boolean;
  /** Sent to the process that was killed and not answered. */
  inFlightAtKill: boolean;
}

/**
 * Batches of BATCH_SIZE predictions, each with its inline outcome (so one batch writes prediction_keys,
 * predictions and outcomes rows), CONCURRENCY at a time, while the Hindsight process is SIGKILLed KILLS
 * times. Right after each kill, before anything is retried, every batch must be in the database entirely or
 * not at all, in all three tables; every acknowledged batch must be there. Then a new process starts, the
 * clients resend what was not acknowledged (same ids), and in the end every batch is stored exactly once.
 */
export const killMidBatch: Scenario = {
  id: 'kill',
  title: 'Hindsight SIGKILLed in the middle of batches',
  async run(ctx) {
    const databaseUrl = await ctx.cluster.createDatabase('hindsight_rel_kill');
    let server: ServerHandle = await ctx.startHindsight('kill', databaseUrl);
    const model = 'kill-model';
    await registerModel(server.url, ctx.adminKey, model);

    const batches: BatchState[] = [];
    const tally = new Tally();
    const unexpected: string[] = [];
    let next = 0;
    let killed = false;

    /** Sends batches until stopped; each batch is retried (same ids) until acknowledged. */
    const client = async (stopAt: () => number) => {
      while (Date.now() < stopAt()) {
        const batch: BatchState = { id: `k${next++}`, ids: [], acknowledged: false, inFlightAtKill: false };
        batch.ids = Array.from({ length: BATCH_SIZE }, (_, i) => `${batch.id}-${i}`);
        batches.push(batch);
        await deliver(batch, stopAt);
      }
    };
    const bodiesOf = (batch: BatchState) => {
      const predictedAt = new Date(Date.now() - 60_000).toISOString();
      return batch.ids.map((id, i) => predictionBody(model, id, predictedAt, i % 3 === 0 ? 'BOS' : 'LAL'));
    };
    const bodies = new Map<string, ReturnType<typeof bodiesOf>>();
    const deliver = async (batch: BatchState, stopAt: () => number) => {
      if (!bodies.has(batch.id)) bodies.set(batch.id, bodiesOf(batch));
      for (let attempt = 0; !batch.acknowledged && Date.now() < stopAt(); attempt++) {
        const target = server;
        const answer = await post(`${target.url}/v1/predictions/batch`, ctx.adminKey, { items: bodies.get(batch.id) }, 20_000);
        tally.add(answer);
        if (answer.status === 201 || answer.status === 200) {
          batch.acknowledged = true;
          return;
        }
        if (answer.status === null && killed && target === server) batch.inFlightAtKill = true;
        if (answer.status !== null && answer.status !== 503 && answer.status !== 429) unexpected.push(`${batch.id}: ${answer.status} ${JSON.stringify(answer.body).slice(0, 300)}`);
        // A killed process: wait for its successor.
        await sleep(backoff(attempt, answer.retryAfterSeconds));
      }
    };

    const inspect = () =>
      withClient(databaseUrl, async (sql) => {
        const { rows } = await sql.query<{ batch: string; keys: number; predictions: number; outcomes: number }>(
          `SELECT split_part(k.id, '-', 1) AS batch, count(*)::int AS keys, count(p.id)::int AS predictions, count(o.prediction_id)::int AS outcomes
           FROM prediction_keys k
           LEFT JOIN predictions p ON p.id = k.id AND p.predicted_at = k.predicted_at
           LEFT JOIN outcomes o ON o.prediction_id = k.id AND o.predicted_at = k.predicted_at
           GROUP BY 1`,
        );
        return new Map(rows.map((r) => [r.batch, r]));
      });
    const expectedOutcomes = BATCH_SIZE; // every item carries its actual
    const halfApplied: string[] = [];
    const lostAtKill: string[] = [];
    let inFlightAtKills = 0;
    let appliedAtKill = 0;
    let notAppliedAtKill = 0;

    for (let kill = 1; kill <= KILLS; kill++) {
      killed = false;
      const stopAt = Date.now() + RUN_MS;
      const clients = Array.from({ length: CONCURRENCY }, () => client(() => (killed ? 0 : stopAt + 60_000)));
      await sleep(RUN_MS);
      ctx.log(`kill: SIGKILL ${server.name} (pid ${server.pid}) with batches in flight (${kill}/${KILLS})`);
      const victim = server;
      killed = true;
      process.kill(victim.pid, 'SIGKILL');
      await Promise.all(clients);
      await victim.stop();

      // Before anything is resent: each batch is all there or not there at all.
      const stored = await inspect();
      for (const batch of batches) {
        const row = stored.get(batch.id);
        const n = row?.keys ?? 0;
        const whole = n === BATCH_SIZE && row!.predictions === BATCH_SIZE && row!.outcomes === expectedOutcomes;
        if (n !== 0 && !whole) halfApplied.push(`${batch.id}: ${JSON.stringify(row)}`);
        if (batch.acknowledged && !whole) lostAtKill.push(batch.id);
        if (batch.inFlightAtKill && !batch.acknowledged) {
          inFlightAtKills++;
          if (whole) appliedAtKill++;
          else notAppliedAtKill++;
          batch.inFlightAtKill = false;
        }
      }
      server = await ctx.startHindsight('kill', databaseUrl);
    }

    // The clients resend every unacknowledged batch (same ids) to the new process.
    const deadline = Date.now() + CONVERGE_MS;
    await Promise.all(batches.filter((b) => !b.acknowledged).map((b) => deliver(b, () => deadline)));
    const final = await inspect();
    await server.stop();

    const items = batches.length * BATCH_SIZE;
    const acknowledged = batches.filter((b) => b.acknowledged);
    const storedItems = [...final.values()].reduce((sum, r) => sum + r.keys, 0);
    const storedPredictions = [...final.values()].reduce((sum, r) => sum + r.predictions, 0);
    const incomplete = batches.filter((b) => {
      const row = final.get(b.id);
      return !row || row.keys !== BATCH_SIZE || row.predictions !== BATCH_SIZE || row.outcomes !== expectedOutcomes;
    });
    const duplicates = await withClient(databaseUrl, async (sql) => {
      const { rows } = await sql.query<{ n: number }>(`SELECT (count(*) - count(DISTINCT id))::int AS n FROM predictions`);
      return rows[0]!.n;
    });
    const figures = {
      'batches sent': batches.length,
      'items per batch (each with its outcome)': BATCH_SIZE,
      'predictions sent': items,
      'SIGKILLs': KILLS,
      'batches in flight at a kill (unanswered)': inFlightAtKills,
      '… of which stored whole before the kill': appliedAtKill,
      '… of which not stored at all': notAppliedAtKill,
      'half-applied batches': halfApplied.length,
      'batches acknowledged (after resending)': acknowledged.length,
      'predictions acknowledged': acknowledged.length * BATCH_SIZE,
      'predictions stored': storedPredictions,
      'lost (acknowledged, not stored)': lostAtKill.length * BATCH_SIZE,
      duplicates,
      'HTTP answers': Object.entries(tally.toJSON())
        .map(([k, v]) => `${k}: ${v}`)
        .join(', '),
    };
    return {
      id: this.id,
      title: this.title,
      figures,
      checks: [
        check('no half-applied batch: after each kill every batch is stored whole (keys, predictions, outcomes) or not at all', halfApplied.length === 0, halfApplied.slice(0, 3).join(' | ')),
        check('nothing acknowledged is lost', lostAtKill.length === 0, lostAtKill.slice(0, 5).join(', ')),
        check('batches were in flight at the kills', inFlightAtKills >= KILLS, `${inFlightAtKills}`),
        check('resent batches converge: every batch stored exactly once', incomplete.length === 0 && acknowledged.length === batches.length && storedItems === items, `${incomplete.length} incomplete`),
        check('no prediction stored twice', duplicates === 0),
        check('no answer other than 2xx, 503 or a dropped connection', unexpected.length === 0, unexpected.slice(0, 3).join(' | ')),
      ],
    };
  },
};

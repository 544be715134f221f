import type { Principal } from '../domain/access.js';
import { ALERT_TYPES } from '../domain/learning-alerts.js';
import type { AlertService } from './alerts.js';
import type { ExperimentView } from './experiment-definitions.js';
import type { ExperimentService } from './experiments.js';

/** The scheduled jobs act for nobody in particular: every model, the admin scope. */
export const SCHEDULER_PRINCIPAL: Principal = { keyId: null, name: 'scheduler', scopes: new Set(['admin']), models: null };

/**
 * What the scheduled jobs watch in experiments: a split that does not follow its weights (sample ratio
 * mismatch: the results cannot be trusted), and experiments whose end has passed, which are concluded —
 * their results frozen, every unit served the winner (or the control) — without promoting anything:
 * promoting the winner stays a person's decision (POST …/versions/{version}/promote), which the
 * `experiment.concluded` alert asks for.
 */
export class ExperimentWatch {
  constructor(
    private readonly experiments: ExperimentService,
    private readonly alerts: AlertService,
    private readonly modelIds: (names: string[]) => Promise<Map<string, string>>,
    private readonly now: () => Date = () => new Date(),
  ) {}

  async sampleRatioMismatches() {
    const found = await this.experiments.sampleRatioMismatches();
    const ids = await this.modelIds(found.map((f) => f.experiment.model));
    const flagged = new Set<string>();
    for (const { experiment, srm } of found) {
      const key = `${ALERT_TYPES.srm}:${experiment.id}`;
      flagged.add(key);
      await this.alerts.raise({
        type: ALERT_TYPES.srm,
        severity: 'warning',
        modelId: ids.get(experiment.model) ?? null,
        title: `Experiment "${experiment.name}": the split does not follow its weights`,
        detail: `units per arm ${srm.observed.join(' / ')} where ${srm.expected.map((e) => e.toFixed(1)).join(' / ')} were expected (χ² p = ${srm.pValue?.toExponential(2) ?? 'n/a'} < ${srm.threshold}): check the assignment on the serving side before trusting the results`,
        dedupeKey: key,
      });
    }
    let resolved = 0;
    for (const alert of await this.alerts.unresolvedOfType(ALERT_TYPES.srm)) {
      if (flagged.has(alert.dedupeKey)) continue;
      if (await this.alerts.resolveCondition(alert.dedupeKey, 'the split follows its weights again, or the experiment ended')) resolved++;
    }
    return { detected: found.map((f) => ({ experiment: f.experiment.name, model: f.experiment.model, pValue: f.srm.pValue })), resolved };
  }

  /** Concludes the running experiments whose end has passed; one that fails does not stop the others. */
  async concludeFinished() {
    const now = this.now();
    const due: ExperimentView[] = [];
    let cursor: string | undefined;
    do {
      const page = await this.experiments.list({ status: 'running', limit: 200, cursor }, SCHEDULER_PRINCIPAL);
      due.push(...page.items.filter((e) => e.endsAt !== null && Date.parse(e.endsAt) <= now.getTime()));
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
    const ids = await this.modelIds(due.map((e) => e.model));
    const concluded = [];
    const failures = [];
    for (const experiment of due) {
      try {
        const { results } = await this.experiments.conclude(experiment.id, { promote: false, reason: 'its end passed' }, SCHEDULER_PRINCIPAL);
        const promote = results.winner ? ` Promote it with POST /v1/models/${experiment.model}/versions/${results.winner}/promote.` : '';
        await this.alerts.raise({
          type: ALERT_TYPES.concluded,
          severity: 'info',
          modelId: ids.get(experiment.model) ?? null,
          title: `Experiment "${experiment.name}" ended: ${results.winner ? `${results.winner} won` : 'no winner'}`,
          detail: `${results.reason}.${promote}`,
          dedupeKey: `${ALERT_TYPES.concluded}:${experiment.id}`,
        });
        concluded.push({ experiment: experiment.name, model: experiment.model, winner: results.winner, reason: results.reason });
      } catch (error) {
        failures.push({ experiment: experiment.name, error: error instanceof Error ? error.message : String(error) });
      }
    }
    return { concluded, failures };
  }
}

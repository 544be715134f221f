import type { AlertChange, AlertRow, AlertSeverity, AlertStatus, AlertsRepository } from '../db/repositories/alerts.js';
import { assertModelAccess, canAccessModel, type Principal } from '../domain/access.js';
import { MAX_DURATION_MS, parseDuration } from '../domain/window.js';
import { ConflictError, ForbiddenError, NotFoundError, ValidationError, invalidField } from '../errors.js';
import type { AlertNotifier } from './alert-notifier.js';
import type { ModelCatalog } from './catalog.js';
import { decodeCursor, page } from './pagination.js';

export type { AlertRow, AlertSeverity } from '../db/repositories/alerts.js';

export interface RaiseAlert {
  /** What happened, dotted: `retrain.delivery_failed`, `webhook.disabled`, `model.rolled_back`, … */
  type: string;
  severity: AlertSeverity;
  modelId?: string | null;
  title: string;
  detail: string;
  /** Alerts with the same key are one alert until it is resolved; default `type:modelId`. */
  dedupeKey?: string;
  createdBy?: string | null;
}

export interface AlertView {
  id: string;
  type: string;
  severity: AlertSeverity;
  peakSeverity: AlertSeverity;
  status: AlertStatus;
  model: string | null;
  title: string;
  detail: string;
  dedupeKey: string;
  count: number;
  firstSeenAt: string;
  lastSeenAt: string;
  source: 'hindsight' | 'custom';
  createdBy: string | null;
  acknowledgedAt: string | null;
  acknowledgedBy: string | null;
  acknowledgementNote: string | null;
  resolvedAt: string | null;
  resolvedBy: string | null;
  resolution: string | null;
}

export const viewAlert = (a: AlertRow): AlertView => ({
  id: a.id,
  type: a.type,
  severity: a.severity,
  peakSeverity: a.peakSeverity,
  status: a.status,
  model: a.model,
  title: a.title,
  detail: a.detail,
  dedupeKey: a.dedupeKey,
  count: a.count,
  firstSeenAt: a.firstSeenAt.toISOString(),
  lastSeenAt: a.lastSeenAt.toISOString(),
  source: a.type.startsWith(CUSTOM_PREFIX) ? 'custom' : 'hindsight',
  createdBy: a.createdBy,
  acknowledgedAt: a.acknowledgedAt?.toISOString() ?? null,
  acknowledgedBy: a.acknowledgedBy,
  acknowledgementNote: a.acknowledgementNote,
  resolvedAt: a.resolvedAt?.toISOString() ?? null,
  resolvedBy: a.resolvedBy,
  resolution: a.resolution,
});

export interface ListAlertsQuery {
  since?: string;
  from?: string;
  to?: string;
  model?: string;
  type?: string;
  severity?: AlertSeverity;
  status?: AlertStatus;
  limit: number;
  cursor?: string;
}

export interface CustomAlertInput {
  type: string;
  severity: AlertSeverity;
  title: string;
  detail?: string;
  model?: string;
  dedupeKey?: string;
}

export const CUSTOM_PREFIX = 'custom.';
/** Who resolves the alerts whose condition the daily job no longer sees. */
export const SYSTEM_ACTOR = 'hindsight';

/**
 * Alerts: raising (one alert per unresolved condition, counted when seen again — see AlertsRepository),
 * notification of what opened, escalated or resolved (AlertNotifier, through the outbox), the API's
 * list, custom alerts, acknowledgement and resolution, and the daily job's resolution of cleared conditions.
 */
export class AlertService {
  constructor(
    private readonly repo: AlertsRepository,
    private readonly log: (alert: AlertRow, created: boolean) => void = () => {},
    private readonly notifier?: AlertNotifier,
    private readonly catalog?: ModelCatalog,
  ) {}

  async raise(input: RaiseAlert): Promise<{ alert: AlertRow; created: boolean; change: AlertChange }> {
    const modelId = input.modelId ?? null;
    if (this.notifier?.enabled) await this.notifier.sync();
    const result = await this.repo.raise(
      {
        type: input.type,
        severity: input.severity,
        modelId,
        title: input.title,
        detail: input.detail,
        dedupeKey: input.dedupeKey ?? `${input.type}:${modelId ?? '-'}`,
        createdBy: input.createdBy ?? null,
      },
      this.notifier?.hook,
    );
    this.log(result.alert, result.created);
    if (result.change !== 'repeated') this.notifier?.wake();
    return result;
  }

  /** Resolves the unresolved alert of a condition that cleared; null when none was open. */
  async resolveCondition(dedupeKey: string, resolution: string): Promise<AlertRow | null> {
    if (this.notifier?.enabled) await this.notifier.sync();
    const row = await this.repo.resolve({ dedupeKey }, SYSTEM_ACTOR, resolution, this.notifier?.hook);
    if (row) this.notifier?.wake();
    return row;
  }

  unresolvedOfType(type: string): Promise<AlertRow[]> {
    return this.repo.unresolvedOfType(type);
  }

  unresolvedCounts(modelId: string) {
    return this.repo.unresolvedCounts(modelId);
  }

  async list(query: ListAlertsQuery, principal: Principal) {
    const { from, to } = period(query, new Date());
    let modelIds: string[] | undefined;
    if (query.model !== undefined) {
      assertModelAccess(principal, query.model);
      modelIds = [(await this.requireCatalog().get(query.model, '/query/model')).id];
    } else if (principal.models) {
      modelIds = (await Promise.all([...principal.models].map((name) => this.requireCatalog().find(name)))).flatMap((m) => (m ? [m.id] : []));
    }
    const type = query.type?.endsWith('*') ? { typePrefix: query.type.slice(0, -1) } : query.type !== undefined ? { type: query.type } : {};
    const position = decodeCursor(query.cursor, ['date', 'uuid']) as [Date, string] | undefined;
    const rows = await this.repo.list({
      from,
      to,
      modelIds,
      ...type,
      minSeverity: query.severity,
      statuses: query.status ? [query.status] : undefined,
      before: position ? { lastSeenAt: position[0], id: position[1] } : undefined,
      limit: query.limit + 1,
    });
    const { items, nextCursor } = page(rows, query.limit, (a) => [a.lastSeenAt.toISOString(), a.id]);
    return { items: items.map(viewAlert), nextCursor };
  }

  async get(id: string, principal: Principal): Promise<AlertView> {
    return viewAlert(await this.accessible(id, principal));
  }

  /** A custom alert (`custom.*`): counted on the unresolved alert of the same key when there is one (`created: false`). */
  async create(input: CustomAlertInput, principal: Principal): Promise<{ alert: AlertView; created: boolean }> {
    let modelId: string | null = null;
    if (input.model !== undefined) {
      assertModelAccess(principal, input.model);
      modelId = (await this.requireCatalog().get(input.model, '/body/model')).id;
    } else if (principal.models) {
      throw new ForbiddenError(`this API key is limited to the models ${[...principal.models].join(', ')}: an alert it raises must name one of them in "model"`);
    }
    const { alert, created } = await this.raise({
      type: input.type,
      severity: input.severity,
      modelId,
      title: input.title,
      detail: input.detail ?? '',
      dedupeKey: input.dedupeKey !== undefined ? `custom:${input.dedupeKey}` : `${input.type}:${modelId ?? '-'}`,
      createdBy: principal.name,
    });
    return { alert: viewAlert(alert), created };
  }

  /** Open → acknowledged. Idempotent: an acknowledged alert is answered as it is; a resolved one is a 409. */
  async acknowledge(id: string, note: string | undefined, principal: Principal): Promise<AlertView> {
    const alert = await this.accessible(id, principal);
    if (alert.status === 'resolved') throw new ConflictError(`alert ${id} was resolved at ${alert.resolvedAt?.toISOString()}: there is nothing to acknowledge`);
    if (alert.status === 'acknowledged') return viewAlert(alert);
    const updated = await this.repo.acknowledge(id, principal.name, note ?? null);
    return viewAlert(updated ?? (await this.repo.get(id))!);
  }

  /** Resolves an alert by hand. Idempotent: a resolved alert is answered as it is. */
  async resolve(id: string, note: string | undefined, principal: Principal): Promise<AlertView> {
    const alert = await this.accessible(id, principal);
    if (alert.status === 'resolved') return viewAlert(alert);
    if (this.notifier?.enabled) await this.notifier.sync();
    const updated = await this.repo.resolve({ id }, principal.name, note ?? `resolved by ${principal.name}`, this.notifier?.hook);
    if (updated) this.notifier?.wake();
    return viewAlert(updated ?? (await this.repo.get(id))!);
  }

  private async accessible(id: string, principal: Principal): Promise<AlertRow> {
    const alert = await this.repo.get(id);
    if (!alert) throw new NotFoundError('alert', id, '/params/id');
    if (principal.models && !(alert.model && canAccessModel(principal, alert.model))) {
      throw new ForbiddenError(`this API key is limited to the models ${[...principal.models].join(', ')}; alert ${id} ${alert.model ? `belongs to "${alert.model}"` : 'concerns no model'}`);
    }
    return alert;
  }

  private requireCatalog(): ModelCatalog {
    if (!this.catalog) throw new Error('AlertService was built without a catalog');
    return this.catalog;
  }
}

/** `since=24h` (ending now), or `from`/`to`; neither: every alert. */
function period(query: ListAlertsQuery, now: Date): { from?: Date; to?: Date } {
  if (query.since !== undefined && (query.from !== undefined || query.to !== undefined)) {
    throw new ValidationError([{ path: '/query/since', message: 'cannot be combined with from/to' }]);
  }
  if (query.since !== undefined) {
    const ms = parseDuration(query.since);
    if (ms === null) throw invalidField('/query/since', 'must be a duration: a positive integer and a unit m, h, d or w (e.g. 24h, 7d)');
    if (ms > MAX_DURATION_MS) throw invalidField('/query/since', `must be at most ${MAX_DURATION_MS / 86_400_000} days`);
    return { from: new Date(now.getTime() - ms) };
  }
  const from = query.from !== undefined ? new Date(query.from) : undefined;
  const to = query.to !== undefined ? new Date(query.to) : undefined;
  if (from && to && from.getTime() >= to.getTime()) throw invalidField('/query/from', 'must be before to');
  return { from, to };
}

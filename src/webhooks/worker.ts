import type { AttemptOutcome, ClaimedMessage, FinishedAttempt, WebhooksRepository } from '../db/repositories/webhooks.js';
import { versionEventMessage } from './events.js';
import { MAX_RETRY_AFTER_MS, RETRY_SCHEDULE_MS, JITTER, nextDelay, parseRetryAfter } from './schedule.js';
import type { SecretBox } from './secrets.js';
import { postWebhook } from './sender.js';
import { webhookHeaders } from './signature.js';
import type { TargetPolicy } from './ssrf.js';

export interface DeliverySettings {
  /** Delay before attempt i + 1 (entry 0: the first attempt). */
  schedule: readonly number[];
  jitter: number;
  /** Bound on one attempt, from connecting to the status line. */
  timeoutMs: number;
  maxRetryAfterMs: number;
  /** Messages sent concurrently (claimed per round). */
  batchSize: number;
  /** Pause between rounds when nothing was due; while deliveries are in flight, how often free places are claimed. */
  pollIntervalMs: number;
  random: () => number;
}

export const DEFAULT_DELIVERY: DeliverySettings = {
  schedule: RETRY_SCHEDULE_MS,
  jitter: JITTER,
  timeoutMs: 15_000,
  maxRetryAfterMs: MAX_RETRY_AFTER_MS,
  batchSize: 10,
  pollIntervalMs: 1_000,
  random: Math.random,
};

export interface DeliveryLog {
  warn(object: object, message: string): void;
  error(object: object, message: string): void;
}

export interface DeliveryDeps {
  repo: WebhooksRepository;
  box: SecretBox;
  target: TargetPolicy;
  log: DeliveryLog;
  /** Called after each recorded attempt (alerts for given-up deliveries and disabled webhooks). */
  onFinished?: (message: ClaimedMessage, outcome: AttemptOutcome, finished: FinishedAttempt) => Promise<void>;
}

/** The secrets a message is signed with now: the current one, and the previous one during a rotation's overlap. */
export function activeSecrets(box: SecretBox, endpoint: { secret: string; previousSecret: string | null; previousSecretExpiresAt: Date | null }, now: Date): string[] {
  const secrets = [box.open(endpoint.secret)];
  if (endpoint.previousSecret && endpoint.previousSecretExpiresAt && endpoint.previousSecretExpiresAt > now) secrets.push(box.open(endpoint.previousSecret));
  return secrets;
}

/**
 * Delivers the outbox. Each round relays new promotion/rollback events into messages, claims the due
 * messages (FOR UPDATE SKIP LOCKED plus a lease: replicas never send the same attempt), sends them, and
 * records every attempt with what follows: success; a retry on the schedule (jittered, Retry-After
 * honoured); a failure once the schedule is exhausted; or, on 410 Gone, the webhook disabled and its
 * pending deliveries failed. Messages live in PostgreSQL, so a restart loses nothing: a claim whose worker
 * died is taken again when its lease ends, and that attempt is logged as interrupted.
 *
 * `runOnce()` is one round (tests); `drain()` sends until nothing is due (the scheduler's webhook-delivery
 * job, and a woken worker); `start()`/`stop()` drain when woken and — unless the scheduler polls instead — on
 * a timer, `stop()` waiting for the deliveries in flight.
 */
export class DeliveryWorker {
  readonly settings: DeliverySettings;
  private running = false;
  private polling = true;
  private timer: NodeJS.Timeout | null = null;
  private inFlight: Promise<unknown> | null = null;
  private wakeRequested = false;

  constructor(
    private readonly deps: DeliveryDeps,
    settings: Partial<DeliverySettings> = {},
  ) {
    this.settings = { ...DEFAULT_DELIVERY, ...settings };
  }

  async runOnce(): Promise<{ relayed: number; attempted: number }> {
    const relayed = await this.deps.repo.relayVersionEvents(versionEventMessage);
    const claimed = await this.deps.repo.claimDue(this.settings.batchSize, this.leaseMs());
    await Promise.all(claimed.map((message) => this.deliver(message)));
    return { relayed, attempted: claimed.length };
  }

  /** A claim's lease outlasts any attempt (timeout) with a margin for recording it. */
  private leaseMs(): number {
    return this.settings.timeoutMs + 60_000;
  }

  private async deliver(message: ClaimedMessage): Promise<void> {
    const startedAt = new Date();
    const endpoint = message.endpoint;
    let outcome: AttemptOutcome;
    try {
      if (!endpoint || endpoint.status !== 'active') {
        const error = endpoint ? 'the webhook is disabled' : 'the webhook was deleted';
        outcome = { messageId: message.id, attempt: message.attempt, url: endpoint?.url ?? '', startedAt, statusCode: null, durationMs: 0, error, next: { kind: 'failed', reason: error } };
      } else {
        const headers = webhookHeaders(activeSecrets(this.deps.box, endpoint, startedAt), message.id, message.body, startedAt);
        const result = await postWebhook(endpoint.url, headers, message.body, { timeoutMs: this.settings.timeoutMs, policy: this.deps.target });
        outcome = { messageId: message.id, attempt: message.attempt, url: endpoint.url, startedAt, statusCode: result.statusCode, durationMs: result.durationMs, error: result.error, next: this.next(message, result) };
      }
      const finished = await this.deps.repo.finishAttempt(outcome, endpoint?.id ?? null);
      if (!finished.recorded) {
        // Logged, but the message had moved on meanwhile: cancelled (the trainer already answered) or its lease taken over.
        this.deps.log.warn({ messageId: message.id, attempt: message.attempt }, 'webhook attempt recorded after the message was settled elsewhere');
      }
      await this.deps.onFinished?.(message, outcome, finished);
    } catch (error) {
      // The lease runs out and the message is retried: nothing is lost.
      this.deps.log.error({ err: error, messageId: message.id }, 'webhook delivery could not be recorded');
    }
  }

  private next(message: ClaimedMessage, result: { ok: boolean; statusCode: number | null; error: string | null; retryAfter: string | undefined }): AttemptOutcome['next'] {
    if (result.ok) return { kind: 'succeeded' };
    if (result.statusCode === 410) {
      const reason = `the receiver answered 410 Gone on ${new Date().toISOString()}: the webhook is disabled (save it again to re-enable it)`;
      return { kind: 'failed', reason, disableEndpoint: reason };
    }
    const delay = nextDelay(message.attempt, parseRetryAfter(result.retryAfter, new Date()), this.settings);
    if (delay === null) return { kind: 'failed', reason: `delivery failed after ${message.attempt} attempts; the last: ${result.error}` };
    return { kind: 'retry', delayMs: delay };
  }

  /**
   * Starts delivering. With `poll: false` the worker only runs rounds when woken (something was just
   * stored); the scheduler's `webhook-delivery` job calls `drain()` on its schedule for the retries.
   */
  start(options: { poll?: boolean } = {}): void {
    if (this.running) return;
    this.running = true;
    this.polling = options.poll ?? true;
    this.schedule(0);
  }

  /**
   * Sends until nothing due is left (or `budgetMs` is spent): one run of the scheduler's `webhook-delivery` job,
   * and what a woken worker does. Up to `batchSize` deliveries are in flight at once, and a free place is
   * claimed again as soon as a delivery ends — or every `pollIntervalMs` while some are still in flight — so a
   * receiver that hangs until the timeout holds one place, not everyone's retries that come due meanwhile.
   */
  async drain(budgetMs = 60_000): Promise<{ relayed: number; attempted: number; claims: number }> {
    const deadline = Date.now() + budgetMs;
    const total = { relayed: await this.deps.repo.relayVersionEvents(versionEventMessage), attempted: 0, claims: 0 };
    const inFlight = new Set<Promise<void>>();
    let claimError: { error: unknown } | null = null;
    for (;;) {
      const free = this.settings.batchSize - inFlight.size;
      if (free > 0 && Date.now() < deadline && !claimError) {
        // A failed claim (the database is down) ends the run once the deliveries in flight are recorded.
        let claimed: ClaimedMessage[] = [];
        try {
          claimed = await this.deps.repo.claimDue(free, this.leaseMs());
        } catch (error) {
          claimError = { error };
        }
        total.claims++;
        total.attempted += claimed.length;
        for (const message of claimed) {
          const delivery: Promise<void> = this.deliver(message).finally(() => inFlight.delete(delivery));
          inFlight.add(delivery);
        }
      }
      if (inFlight.size === 0) {
        if (claimError) throw claimError.error;
        return total;
      }
      let pause: NodeJS.Timeout | undefined;
      await Promise.race([...inFlight, new Promise<void>((resolve) => (pause = setTimeout(resolve, this.settings.pollIntervalMs)))]);
      clearTimeout(pause);
    }
  }

  /** Runs a round now (after the one in flight, if any): something was just stored. */
  wake(): void {
    if (!this.running) return;
    if (this.inFlight) {
      this.wakeRequested = true;
    } else {
      if (this.timer) clearTimeout(this.timer);
      this.schedule(0);
    }
  }

  /** Stops the loop and waits for the round in flight (its deliveries are recorded before this resolves). */
  async stop(): Promise<void> {
    this.running = false;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await this.inFlight;
  }

  private schedule(ms: number): void {
    this.timer = setTimeout(() => void this.tick(), ms);
    this.timer.unref();
  }

  private async tick(): Promise<void> {
    this.timer = null;
    if (!this.running) return;
    const round = this.drain().then(
      () => undefined,
      (error: unknown) => this.deps.log.error({ err: error }, 'webhook delivery round failed'),
    );
    this.inFlight = round;
    await round;
    this.inFlight = null;
    if (!this.running) return;
    const again = this.wakeRequested;
    this.wakeRequested = false;
    if (again) this.schedule(0);
    else if (this.polling) this.schedule(this.settings.pollIntervalMs);
  }
}

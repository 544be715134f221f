-- Scheduled learning and alerts: the run ledger of the scheduler, daily performance snapshots, the alert
-- lifecycle (acknowledged, resolved, escalation) and the alert notification webhook on the outbox.

-- One row per job and scheduled slot, inserted by the replica that wins it: the unique (job, slot) makes a
-- slot run once across any number of replicas, and the partial unique index on running rows keeps a job
-- from overlapping itself. A running row's heartbeat is refreshed during the run; one whose heartbeat is
-- older than the lease belongs to a dead process and is marked failed (abandoned).
CREATE TABLE "job_runs" (
    "id" UUID NOT NULL DEFAULT gen_random_uuid(),
    "job" TEXT NOT NULL,
    "slot" TIMESTAMPTZ(3) NOT NULL,
    "trigger" TEXT NOT NULL,
    "status" TEXT NOT NULL,
    "replica_id" TEXT NOT NULL,
    "requested_by" TEXT,
    "started_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "heartbeat_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "finished_at" TIMESTAMPTZ(3),
    "duration_ms" INTEGER,
    "result" JSONB,
    "error" TEXT,
    CONSTRAINT "job_runs_pkey" PRIMARY KEY ("id"),
    CONSTRAINT "job_runs_trigger_check" CHECK ("trigger" IN ('schedule', 'manual')),
    CONSTRAINT "job_runs_status_check" CHECK ("status" IN ('running', 'succeeded', 'failed', 'skipped'))
);
CREATE UNIQUE INDEX "job_runs_job_slot_key" ON "job_runs"("job", "slot");
CREATE UNIQUE INDEX "job_runs_one_running_per_job" ON "job_runs"("job") WHERE "status" = 'running';
CREATE INDEX "job_runs_job_started_at_idx" ON "job_runs"("job", "started_at" DESC, "id" DESC);
CREATE INDEX "job_runs_started_at_idx" ON "job_runs"("started_at");

-- What the daily job measured for a model: the production version's metrics over the policy window and
-- the trend of its daily series. The loop status reads the latest one instead of recomputing metrics.
CREATE TABLE "performance_snapshots" (
    "id" BIGSERIAL NOT NULL,
    "model_id" UUID NOT NULL,
    "version_id" UUID,
    "job_run_id" UUID,
    "taken_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "window" TEXT NOT NULL,
    "window_from" TIMESTAMPTZ(3) NOT NULL,
    "window_to" TIMESTAMPTZ(3) NOT NULL,
    "sample_count" INTEGER NOT NULL,
    "metric" TEXT NOT NULL,
    "value" DOUBLE PRECISION,
    "metrics" JSONB,
    "trend" TEXT,
    "trend_detail" JSONB,
    CONSTRAINT "performance_snapshots_pkey" PRIMARY KEY ("id"),
    CONSTRAINT "performance_snapshots_trend_check" CHECK ("trend" IN ('improving', 'degrading', 'stable'))
);
CREATE INDEX "performance_snapshots_model_id_taken_at_idx" ON "performance_snapshots"("model_id", "taken_at" DESC);
ALTER TABLE "performance_snapshots" ADD CONSTRAINT "performance_snapshots_model_id_fkey"
    FOREIGN KEY ("model_id") REFERENCES "models"("id") ON DELETE CASCADE ON UPDATE CASCADE;
ALTER TABLE "performance_snapshots" ADD CONSTRAINT "performance_snapshots_version_id_fkey"
    FOREIGN KEY ("version_id") REFERENCES "model_versions"("id") ON DELETE SET NULL ON UPDATE CASCADE;
ALTER TABLE "performance_snapshots" ADD CONSTRAINT "performance_snapshots_job_run_id_fkey"
    FOREIGN KEY ("job_run_id") REFERENCES "job_runs"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- The alert lifecycle: open → acknowledged (someone is on it) → resolved (by a person, or by the daily job
-- once the condition cleared). An alert stays one row per dedupe key until it is resolved, so an
-- acknowledged condition detected again counts on the acknowledged alert instead of opening another one;
-- a rise above its highest severity so far (peak_severity) is an escalation, which re-opens it.
ALTER TABLE "alerts" DROP CONSTRAINT "alerts_status_check";
ALTER TABLE "alerts" ADD CONSTRAINT "alerts_status_check" CHECK ("status" IN ('open', 'acknowledged', 'resolved'));
DROP INDEX "alerts_open_dedupe_key";
CREATE UNIQUE INDEX "alerts_unresolved_dedupe_key" ON "alerts"("dedupe_key") WHERE "status" <> 'resolved';
CREATE INDEX "alerts_status_last_seen_at_idx" ON "alerts"("status", "last_seen_at" DESC);
ALTER TABLE "alerts" ADD COLUMN "peak_severity" TEXT;
UPDATE "alerts" SET "peak_severity" = "severity";
ALTER TABLE "alerts" ALTER COLUMN "peak_severity" SET NOT NULL;
ALTER TABLE "alerts" ADD CONSTRAINT "alerts_peak_severity_check" CHECK ("peak_severity" IN ('info', 'warning', 'critical'));
ALTER TABLE "alerts" ADD COLUMN "last_change" TEXT NOT NULL DEFAULT 'opened';
ALTER TABLE "alerts" ADD CONSTRAINT "alerts_last_change_check" CHECK ("last_change" IN ('opened', 'repeated', 'escalated'));
ALTER TABLE "alerts" ADD COLUMN "created_by" TEXT;
ALTER TABLE "alerts" ADD COLUMN "acknowledged_by" TEXT;
ALTER TABLE "alerts" ADD COLUMN "acknowledgement_note" TEXT;
ALTER TABLE "alerts" ADD COLUMN "resolved_at" TIMESTAMPTZ(3);
ALTER TABLE "alerts" ADD COLUMN "resolved_by" TEXT;
ALTER TABLE "alerts" ADD COLUMN "resolution" TEXT;

-- The alert notification webhook (ALERT_WEBHOOK_URL) is an endpoint of its own kind, not tied to a model,
-- so that its messages go through the outbox like every other webhook: signed, retried, logged.
ALTER TABLE "webhook_endpoints" DROP CONSTRAINT "webhook_endpoints_kind_check";
ALTER TABLE "webhook_endpoints" ADD CONSTRAINT "webhook_endpoints_kind_check" CHECK ("kind" IN ('training', 'subscription', 'alerts'));
ALTER TABLE "webhook_endpoints" ALTER COLUMN "model_id" DROP NOT NULL;
ALTER TABLE "webhook_endpoints" ADD CONSTRAINT "webhook_endpoints_model_check" CHECK (("kind" = 'alerts') = ("model_id" IS NULL));
CREATE UNIQUE INDEX "webhook_endpoints_one_alerts_endpoint" ON "webhook_endpoints"("kind") WHERE "kind" = 'alerts';
ALTER TABLE "webhook_messages" ALTER COLUMN "model_id" DROP NOT NULL;
ALTER TABLE "webhook_messages" ADD COLUMN "alert_id" UUID;
CREATE INDEX "webhook_messages_alert_id_idx" ON "webhook_messages"("alert_id") WHERE "alert_id" IS NOT NULL;
ALTER TABLE "webhook_messages" ADD CONSTRAINT "webhook_messages_alert_id_fkey"
    FOREIGN KEY ("alert_id") REFERENCES "alerts"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- The retraining loop: retrain policies, frozen datasets, webhook endpoints with their transactional outbox
-- and delivery log, retrain requests, the lineage of versions, and the core of alerts.

-- One policy per model, as validated JSON (src/domain/retrain-policy.ts); no row: the task's defaults.
CREATE TABLE "retrain_policies" (
    "model_id" UUID NOT NULL,
    "policy" JSONB NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "retrain_policies_pkey" PRIMARY KEY ("model_id")
);
ALTER TABLE "retrain_policies" ADD CONSTRAINT "retrain_policies_model_id_fkey"
    FOREIGN KEY ("model_id") REFERENCES "models"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- A frozen snapshot of the labeled predictions of a window, numbered per model. Its rows are copied once
-- (INSERT … SELECT) and never change; sha256 is the SHA-256 of its JSONL export, byte_size that export's length.
CREATE TABLE "datasets" (
    "id" UUID NOT NULL DEFAULT gen_random_uuid(),
    "model_id" UUID NOT NULL,
    "number" INTEGER NOT NULL,
    "name" TEXT,
    "description" TEXT,
    "window_from" TIMESTAMPTZ(3),
    "window_to" TIMESTAMPTZ(3),
    "window_last" INTEGER,
    "version_id" UUID,
    "row_count" INTEGER NOT NULL,
    "byte_size" BIGINT NOT NULL,
    "feature_schema" JSONB NOT NULL,
    "sha256" TEXT NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "datasets_pkey" PRIMARY KEY ("id")
);
CREATE UNIQUE INDEX "datasets_model_id_number_key" ON "datasets"("model_id", "number");
ALTER TABLE "datasets" ADD CONSTRAINT "datasets_model_id_fkey"
    FOREIGN KEY ("model_id") REFERENCES "models"("id") ON DELETE CASCADE ON UPDATE CASCADE;
ALTER TABLE "datasets" ADD CONSTRAINT "datasets_version_id_fkey"
    FOREIGN KEY ("version_id") REFERENCES "model_versions"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- Rows in export order (seq: predicted_at, then prediction id).
CREATE TABLE "dataset_rows" (
    "dataset_id" UUID NOT NULL,
    "seq" INTEGER NOT NULL,
    "prediction_id" TEXT NOT NULL,
    "external_id" TEXT,
    "version" TEXT,
    "predicted_at" TIMESTAMPTZ(3) NOT NULL,
    "features" JSONB NOT NULL,
    "predicted_label" TEXT,
    "predicted_value" DOUBLE PRECISION,
    "actual_label" TEXT,
    "actual_value" DOUBLE PRECISION,
    CONSTRAINT "dataset_rows_pkey" PRIMARY KEY ("dataset_id", "seq")
);
ALTER TABLE "dataset_rows" ADD CONSTRAINT "dataset_rows_dataset_id_fkey"
    FOREIGN KEY ("dataset_id") REFERENCES "datasets"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- Where outbound webhooks go: the training webhook of a model (at most one) and serving-side subscriptions.
-- Secrets are stored as "plain:<whsec_…>" or, with HINDSIGHT_SECRETS_KEY, "aes-256-gcm:<iv>:<tag>:<data>".
CREATE TABLE "webhook_endpoints" (
    "id" UUID NOT NULL DEFAULT gen_random_uuid(),
    "model_id" UUID NOT NULL,
    "kind" TEXT NOT NULL,
    "url" TEXT NOT NULL,
    "events" TEXT[] NOT NULL,
    "secret" TEXT NOT NULL,
    "secret_prefix" TEXT NOT NULL,
    "previous_secret" TEXT,
    "previous_secret_expires_at" TIMESTAMPTZ(3),
    "status" TEXT NOT NULL DEFAULT 'active',
    "disabled_reason" TEXT,
    "disabled_at" TIMESTAMPTZ(3),
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "webhook_endpoints_pkey" PRIMARY KEY ("id"),
    CONSTRAINT "webhook_endpoints_kind_check" CHECK ("kind" IN ('training', 'subscription')),
    CONSTRAINT "webhook_endpoints_status_check" CHECK ("status" IN ('active', 'disabled'))
);
CREATE UNIQUE INDEX "webhook_endpoints_one_training_per_model" ON "webhook_endpoints"("model_id") WHERE "kind" = 'training';
CREATE INDEX "webhook_endpoints_model_id_kind_idx" ON "webhook_endpoints"("model_id", "kind", "created_at");
ALTER TABLE "webhook_endpoints" ADD CONSTRAINT "webhook_endpoints_model_id_fkey"
    FOREIGN KEY ("model_id") REFERENCES "models"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- One decision to retrain. Open (pending: being delivered; delivered: the trainer has it) until the
-- trainer's callback, or until delivery is given up. At most one open request per model and tier.
CREATE TABLE "retrain_requests" (
    "id" UUID NOT NULL DEFAULT gen_random_uuid(),
    "model_id" UUID NOT NULL,
    "tier" TEXT,
    "status" TEXT NOT NULL DEFAULT 'pending',
    "trigger" TEXT NOT NULL,
    "reason" TEXT NOT NULL,
    "reasons" TEXT[] NOT NULL,
    "forced" BOOLEAN NOT NULL DEFAULT false,
    "production_version_id" UUID,
    "dataset_id" UUID NOT NULL,
    "failure_reason" TEXT,
    "result" JSONB,
    "result_received_at" TIMESTAMPTZ(3),
    "candidate_version_id" UUID,
    "gate_status" TEXT,
    "gate_reason" TEXT,
    "gate" JSONB,
    "gate_evaluated_at" TIMESTAMPTZ(3),
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "delivered_at" TIMESTAMPTZ(3),
    "completed_at" TIMESTAMPTZ(3),
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "retrain_requests_pkey" PRIMARY KEY ("id"),
    CONSTRAINT "retrain_requests_status_check" CHECK ("status" IN ('pending', 'delivered', 'succeeded', 'failed')),
    CONSTRAINT "retrain_requests_trigger_check" CHECK ("trigger" IN ('manual', 'auto')),
    CONSTRAINT "retrain_requests_gate_status_check" CHECK ("gate_status" IN ('awaiting_live', 'kept', 'promoted', 'rejected', 'superseded'))
);
CREATE UNIQUE INDEX "retrain_requests_one_open_per_tier" ON "retrain_requests"("model_id", COALESCE("tier", '')) WHERE "status" IN ('pending', 'delivered');
CREATE INDEX "retrain_requests_model_id_created_at_idx" ON "retrain_requests"("model_id", "created_at" DESC, "id" DESC);
CREATE INDEX "retrain_requests_model_id_completed_at_idx" ON "retrain_requests"("model_id", "completed_at" DESC) WHERE "completed_at" IS NOT NULL;
ALTER TABLE "retrain_requests" ADD CONSTRAINT "retrain_requests_model_id_fkey"
    FOREIGN KEY ("model_id") REFERENCES "models"("id") ON DELETE CASCADE ON UPDATE CASCADE;
ALTER TABLE "retrain_requests" ADD CONSTRAINT "retrain_requests_production_version_id_fkey"
    FOREIGN KEY ("production_version_id") REFERENCES "model_versions"("id") ON DELETE SET NULL ON UPDATE CASCADE;
ALTER TABLE "retrain_requests" ADD CONSTRAINT "retrain_requests_candidate_version_id_fkey"
    FOREIGN KEY ("candidate_version_id") REFERENCES "model_versions"("id") ON DELETE SET NULL ON UPDATE CASCADE;
ALTER TABLE "retrain_requests" ADD CONSTRAINT "retrain_requests_dataset_id_fkey"
    FOREIGN KEY ("dataset_id") REFERENCES "datasets"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- The transactional outbox: a message is stored in the transaction that decides to send it, and a
-- delivery worker (any replica: FOR UPDATE SKIP LOCKED) sends it until it succeeds or is given up.
-- The id is the Standard Webhooks webhook-id, stable across retries; body is the exact payload signed.
CREATE TABLE "webhook_messages" (
    "id" TEXT NOT NULL,
    "endpoint_id" UUID,
    "model_id" UUID NOT NULL,
    "event_type" TEXT NOT NULL,
    "body" TEXT NOT NULL,
    "retrain_request_id" UUID,
    "source_event_id" BIGINT,
    "status" TEXT NOT NULL DEFAULT 'pending',
    "attempt_count" INTEGER NOT NULL DEFAULT 0,
    "next_attempt_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "claimed_at" TIMESTAMPTZ(3),
    "last_error" TEXT,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "completed_at" TIMESTAMPTZ(3),
    CONSTRAINT "webhook_messages_pkey" PRIMARY KEY ("id"),
    CONSTRAINT "webhook_messages_status_check" CHECK ("status" IN ('pending', 'succeeded', 'failed', 'cancelled'))
);
CREATE INDEX "webhook_messages_due_idx" ON "webhook_messages"("next_attempt_at") WHERE "status" = 'pending';
CREATE INDEX "webhook_messages_endpoint_id_idx" ON "webhook_messages"("endpoint_id") WHERE "status" = 'pending';
CREATE INDEX "webhook_messages_retrain_request_id_idx" ON "webhook_messages"("retrain_request_id");
CREATE UNIQUE INDEX "webhook_messages_source_event_endpoint_key" ON "webhook_messages"("source_event_id", "endpoint_id") WHERE "source_event_id" IS NOT NULL;
ALTER TABLE "webhook_messages" ADD CONSTRAINT "webhook_messages_endpoint_id_fkey"
    FOREIGN KEY ("endpoint_id") REFERENCES "webhook_endpoints"("id") ON DELETE SET NULL ON UPDATE CASCADE;
ALTER TABLE "webhook_messages" ADD CONSTRAINT "webhook_messages_model_id_fkey"
    FOREIGN KEY ("model_id") REFERENCES "models"("id") ON DELETE CASCADE ON UPDATE CASCADE;
ALTER TABLE "webhook_messages" ADD CONSTRAINT "webhook_messages_retrain_request_id_fkey"
    FOREIGN KEY ("retrain_request_id") REFERENCES "retrain_requests"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- Every delivery attempt, as it happened.
CREATE TABLE "webhook_attempts" (
    "id" BIGSERIAL NOT NULL,
    "message_id" TEXT NOT NULL,
    "attempt" INTEGER NOT NULL,
    "url" TEXT NOT NULL,
    "started_at" TIMESTAMPTZ(3) NOT NULL,
    "status_code" INTEGER,
    "duration_ms" INTEGER,
    "error" TEXT,
    CONSTRAINT "webhook_attempts_pkey" PRIMARY KEY ("id")
);
CREATE INDEX "webhook_attempts_message_id_idx" ON "webhook_attempts"("message_id", "id");
ALTER TABLE "webhook_attempts" ADD CONSTRAINT "webhook_attempts_message_id_fkey"
    FOREIGN KEY ("message_id") REFERENCES "webhook_messages"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- Lineage: the retrain request and dataset a version was trained from.
ALTER TABLE "model_versions" ADD COLUMN "retrain_request_id" UUID;
ALTER TABLE "model_versions" ADD COLUMN "dataset_id" UUID;
ALTER TABLE "model_versions" ADD CONSTRAINT "model_versions_retrain_request_id_fkey"
    FOREIGN KEY ("retrain_request_id") REFERENCES "retrain_requests"("id") ON DELETE SET NULL ON UPDATE CASCADE;
ALTER TABLE "model_versions" ADD CONSTRAINT "model_versions_dataset_id_fkey"
    FOREIGN KEY ("dataset_id") REFERENCES "datasets"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- Promotions and rollbacks become model.version.* events for subscribers: the delivery worker relays the
-- version_events rows not yet relayed (written in the promotion's own transaction, so none is lost).
-- Events from before this migration are not announced.
ALTER TABLE "version_events" ADD COLUMN "relayed_at" TIMESTAMPTZ(3);
UPDATE "version_events" SET "relayed_at" = "created_at";
CREATE INDEX "version_events_unrelayed_idx" ON "version_events"("id") WHERE "relayed_at" IS NULL;

-- Alerts: something that needs a human. An open alert is unique per dedupe key; raising it again counts
-- and refreshes it instead of adding a row.
CREATE TABLE "alerts" (
    "id" UUID NOT NULL DEFAULT gen_random_uuid(),
    "type" TEXT NOT NULL,
    "severity" TEXT NOT NULL,
    "model_id" UUID,
    "title" TEXT NOT NULL,
    "detail" TEXT NOT NULL,
    "dedupe_key" TEXT NOT NULL,
    "count" INTEGER NOT NULL DEFAULT 1,
    "status" TEXT NOT NULL DEFAULT 'open',
    "first_seen_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "last_seen_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "acknowledged_at" TIMESTAMPTZ(3),
    CONSTRAINT "alerts_pkey" PRIMARY KEY ("id"),
    CONSTRAINT "alerts_severity_check" CHECK ("severity" IN ('info', 'warning', 'critical')),
    CONSTRAINT "alerts_status_check" CHECK ("status" IN ('open', 'acknowledged'))
);
CREATE UNIQUE INDEX "alerts_open_dedupe_key" ON "alerts"("dedupe_key") WHERE "status" = 'open';
CREATE INDEX "alerts_last_seen_at_idx" ON "alerts"("last_seen_at" DESC, "id" DESC);
CREATE INDEX "alerts_model_id_last_seen_at_idx" ON "alerts"("model_id", "last_seen_at" DESC);
ALTER TABLE "alerts" ADD CONSTRAINT "alerts_model_id_fkey"
    FOREIGN KEY ("model_id") REFERENCES "models"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- Drift detection: training baselines, stored drift reports, and the streaming concept-drift detectors.

-- A training baseline per model version (version_id NULL: the model-level baseline of a model without
-- versions). Replacing one deletes the old rows in the same transaction, so readers see either.
CREATE TABLE "drift_baselines" (
    "id" UUID NOT NULL DEFAULT gen_random_uuid(),
    "model_id" UUID NOT NULL,
    "version_id" UUID,
    "row_count" INTEGER NOT NULL,
    "prediction_count" INTEGER NOT NULL,
    "actual_count" INTEGER NOT NULL,
    "feature_schema" JSONB NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "drift_baselines_pkey" PRIMARY KEY ("id")
);
CREATE UNIQUE INDEX "drift_baselines_model_id_version_id_key" ON "drift_baselines"("model_id", "version_id") NULLS NOT DISTINCT;
ALTER TABLE "drift_baselines" ADD CONSTRAINT "drift_baselines_model_id_fkey"
    FOREIGN KEY ("model_id") REFERENCES "models"("id") ON DELETE CASCADE ON UPDATE CASCADE;
ALTER TABLE "drift_baselines" ADD CONSTRAINT "drift_baselines_version_id_fkey"
    FOREIGN KEY ("version_id") REFERENCES "model_versions"("id") ON DELETE CASCADE ON UPDATE CASCADE;

CREATE TABLE "drift_baseline_rows" (
    "baseline_id" UUID NOT NULL,
    "ord" INTEGER NOT NULL,
    "features" JSONB NOT NULL,
    "prediction_label" TEXT,
    "prediction_value" DOUBLE PRECISION,
    "actual_label" TEXT,
    "actual_value" DOUBLE PRECISION,
    CONSTRAINT "drift_baseline_rows_pkey" PRIMARY KEY ("baseline_id", "ord")
);
ALTER TABLE "drift_baseline_rows" ADD CONSTRAINT "drift_baseline_rows_baseline_id_fkey"
    FOREIGN KEY ("baseline_id") REFERENCES "drift_baselines"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- Stored drift reports: the full report as JSON, with the columns lists filter and sort on.
CREATE TABLE "drift_reports" (
    "id" UUID NOT NULL DEFAULT gen_random_uuid(),
    "model_id" UUID NOT NULL,
    "version_id" UUID,
    "trigger" TEXT NOT NULL,
    "severity" TEXT NOT NULL,
    "severity_rank" INTEGER NOT NULL,
    "reference_kind" TEXT NOT NULL,
    "reference_from" TIMESTAMPTZ(3),
    "reference_to" TIMESTAMPTZ(3),
    "current_from" TIMESTAMPTZ(3) NOT NULL,
    "current_to" TIMESTAMPTZ(3) NOT NULL,
    "drifted_features" INTEGER NOT NULL,
    "tested_features" INTEGER NOT NULL,
    "summary" JSONB NOT NULL,
    "report" JSONB NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "drift_reports_pkey" PRIMARY KEY ("id"),
    CONSTRAINT "drift_reports_severity_check" CHECK ("severity" IN ('none', 'low', 'medium', 'high', 'critical'))
);
CREATE INDEX "drift_reports_model_id_created_at_idx" ON "drift_reports"("model_id", "created_at" DESC, "id" DESC);
CREATE INDEX "drift_reports_model_id_severity_rank_created_at_idx" ON "drift_reports"("model_id", "severity_rank", "created_at" DESC);
ALTER TABLE "drift_reports" ADD CONSTRAINT "drift_reports_model_id_fkey"
    FOREIGN KEY ("model_id") REFERENCES "models"("id") ON DELETE CASCADE ON UPDATE CASCADE;
ALTER TABLE "drift_reports" ADD CONSTRAINT "drift_reports_version_id_fkey"
    FOREIGN KEY ("version_id") REFERENCES "model_versions"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- The outcome stream of a model, in arrival order (recorded_at, then prediction_id): the streaming detectors
-- read it incrementally from a stored position, so the index holds the whole order.
CREATE INDEX "outcomes_model_id_recorded_at_prediction_id_idx" ON "outcomes"("model_id", "recorded_at", "prediction_id");

-- How far the streaming detectors of a model have read its outcome stream.
CREATE TABLE "drift_stream_cursors" (
    "model_id" UUID NOT NULL,
    "recorded_at" TIMESTAMPTZ(3),
    "prediction_id" TEXT,
    "consumed" BIGINT NOT NULL DEFAULT 0,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "drift_stream_cursors_pkey" PRIMARY KEY ("model_id")
);
ALTER TABLE "drift_stream_cursors" ADD CONSTRAINT "drift_stream_cursors_model_id_fkey"
    FOREIGN KEY ("model_id") REFERENCES "models"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- One detector per model version (version_id NULL: outcomes of predictions logged without a version).
CREATE TABLE "drift_detectors" (
    "id" UUID NOT NULL DEFAULT gen_random_uuid(),
    "model_id" UUID NOT NULL,
    "version_id" UUID,
    "detector" TEXT NOT NULL,
    "state" JSONB NOT NULL,
    "status" TEXT NOT NULL,
    "samples" INTEGER NOT NULL,
    "total_samples" BIGINT NOT NULL,
    "run_started_at" TIMESTAMPTZ(3),
    "status_since" TIMESTAMPTZ(3),
    "last_outcome_at" TIMESTAMPTZ(3),
    "last_drift_at" TIMESTAMPTZ(3),
    "drift_count" INTEGER NOT NULL DEFAULT 0,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "drift_detectors_pkey" PRIMARY KEY ("id"),
    CONSTRAINT "drift_detectors_status_check" CHECK ("status" IN ('stable', 'warning', 'drift'))
);
CREATE UNIQUE INDEX "drift_detectors_model_id_version_id_key" ON "drift_detectors"("model_id", "version_id") NULLS NOT DISTINCT;
ALTER TABLE "drift_detectors" ADD CONSTRAINT "drift_detectors_model_id_fkey"
    FOREIGN KEY ("model_id") REFERENCES "models"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- Every warning and drift a detector signalled: what the daily job turns into alerts (alerted_at).
CREATE TABLE "drift_stream_events" (
    "id" BIGSERIAL NOT NULL,
    "model_id" UUID NOT NULL,
    "version_id" UUID,
    "detector" TEXT NOT NULL,
    "kind" TEXT NOT NULL,
    "detected_at" TIMESTAMPTZ(3) NOT NULL,
    "samples" INTEGER NOT NULL,
    "statistic" DOUBLE PRECISION,
    "prediction_id" TEXT NOT NULL,
    "alerted_at" TIMESTAMPTZ(3),
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "drift_stream_events_pkey" PRIMARY KEY ("id"),
    CONSTRAINT "drift_stream_events_kind_check" CHECK ("kind" IN ('warning', 'drift'))
);
CREATE INDEX "drift_stream_events_model_id_detected_at_idx" ON "drift_stream_events"("model_id", "detected_at");
CREATE INDEX "drift_stream_events_unalerted_idx" ON "drift_stream_events"("created_at") WHERE "alerted_at" IS NULL AND "kind" = 'drift';
ALTER TABLE "drift_stream_events" ADD CONSTRAINT "drift_stream_events_model_id_fkey"
    FOREIGN KEY ("model_id") REFERENCES "models"("id") ON DELETE CASCADE ON UPDATE CASCADE;

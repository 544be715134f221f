-- Hindsight: models, versions, predictions and outcomes (time-partitioned), API keys.

CREATE TYPE "model_task" AS ENUM ('binary', 'multiclass', 'regression');
CREATE TYPE "version_status" AS ENUM ('candidate', 'production', 'archived');
CREATE TYPE "outcome_source" AS ENUM ('ground_truth', 'human');

CREATE TABLE "models" (
    "id" UUID NOT NULL DEFAULT gen_random_uuid(),
    "name" TEXT NOT NULL,
    "task" "model_task" NOT NULL,
    "labels" TEXT[] NOT NULL DEFAULT '{}',
    "positive_label" TEXT,
    "description" TEXT,
    "production_version_id" UUID,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "models_pkey" PRIMARY KEY ("id")
);
CREATE UNIQUE INDEX "models_name_key" ON "models"("name");
CREATE UNIQUE INDEX "models_production_version_id_key" ON "models"("production_version_id");

CREATE TABLE "model_versions" (
    "id" UUID NOT NULL DEFAULT gen_random_uuid(),
    "model_id" UUID NOT NULL,
    "name" TEXT NOT NULL,
    "status" "version_status" NOT NULL DEFAULT 'candidate',
    "description" TEXT,
    "metrics" JSONB,
    "artifact_uri" TEXT,
    "replaced_version_id" UUID,
    "promoted_at" TIMESTAMPTZ(3),
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "model_versions_pkey" PRIMARY KEY ("id")
);
CREATE UNIQUE INDEX "model_versions_model_id_name_key" ON "model_versions"("model_id", "name");
ALTER TABLE "model_versions" ADD CONSTRAINT "model_versions_model_id_fkey"
    FOREIGN KEY ("model_id") REFERENCES "models"("id") ON DELETE CASCADE ON UPDATE CASCADE;
ALTER TABLE "models" ADD CONSTRAINT "models_production_version_id_fkey"
    FOREIGN KEY ("production_version_id") REFERENCES "model_versions"("id") ON DELETE SET NULL ON UPDATE CASCADE;

CREATE TABLE "version_events" (
    "id" BIGSERIAL NOT NULL,
    "model_id" UUID NOT NULL,
    "version_id" UUID NOT NULL,
    "from_version_id" UUID,
    "action" TEXT NOT NULL,
    "reason" TEXT,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "version_events_pkey" PRIMARY KEY ("id")
);
CREATE INDEX "version_events_model_id_created_at_idx" ON "version_events"("model_id", "created_at");
ALTER TABLE "version_events" ADD CONSTRAINT "version_events_model_id_fkey"
    FOREIGN KEY ("model_id") REFERENCES "models"("id") ON DELETE CASCADE ON UPDATE CASCADE;
ALTER TABLE "version_events" ADD CONSTRAINT "version_events_version_id_fkey"
    FOREIGN KEY ("version_id") REFERENCES "model_versions"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- Global uniqueness of prediction ids and of (model, externalId) across all partitions, and the way from
-- an id to the partition that holds it.
CREATE TABLE "prediction_keys" (
    "id" TEXT NOT NULL,
    "model_id" UUID NOT NULL,
    "external_id" TEXT,
    "predicted_at" TIMESTAMPTZ(3) NOT NULL,
    CONSTRAINT "prediction_keys_pkey" PRIMARY KEY ("id")
);
CREATE UNIQUE INDEX "prediction_keys_model_id_external_id_key" ON "prediction_keys"("model_id", "external_id");

-- Predictions and outcomes are partitioned by month of predicted_at: windows prune to a few partitions
-- and retention drops whole months. Partitions are created ahead of time by the service
-- (hindsight_ensure_partitions) and on demand for backfilled months.
CREATE TABLE "predictions" (
    "id" TEXT NOT NULL,
    "predicted_at" TIMESTAMPTZ(3) NOT NULL,
    "model_id" UUID NOT NULL,
    "version_id" UUID,
    "external_id" TEXT,
    "unit" TEXT,
    "features" JSONB NOT NULL,
    "predicted_label" TEXT,
    "predicted_value" DOUBLE PRECISION,
    "confidence" DOUBLE PRECISION,
    "probabilities" JSONB,
    "p_positive" DOUBLE PRECISION,
    "labeled_at" TIMESTAMPTZ(3),
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "predictions_pkey" PRIMARY KEY ("id", "predicted_at")
) PARTITION BY RANGE ("predicted_at");
CREATE INDEX "predictions_model_id_predicted_at_idx" ON "predictions"("model_id", "predicted_at");
CREATE INDEX "predictions_unlabeled_idx" ON "predictions"("model_id", "predicted_at") WHERE "labeled_at" IS NULL;

CREATE TABLE "outcomes" (
    "prediction_id" TEXT NOT NULL,
    "predicted_at" TIMESTAMPTZ(3) NOT NULL,
    "model_id" UUID NOT NULL,
    "version_id" UUID,
    "actual_label" TEXT,
    "actual_value" DOUBLE PRECISION,
    "predicted_label" TEXT,
    "predicted_value" DOUBLE PRECISION,
    "p_positive" DOUBLE PRECISION,
    "p_actual" DOUBLE PRECISION,
    "correct" BOOLEAN,
    "error" DOUBLE PRECISION,
    "absolute_error" DOUBLE PRECISION,
    "absolute_percentage_error" DOUBLE PRECISION,
    "source" "outcome_source" NOT NULL DEFAULT 'ground_truth',
    "observed_at" TIMESTAMPTZ(3) NOT NULL,
    "label_delay_seconds" DOUBLE PRECISION NOT NULL,
    "recorded_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "outcomes_pkey" PRIMARY KEY ("prediction_id", "predicted_at")
) PARTITION BY RANGE ("predicted_at");
CREATE INDEX "outcomes_model_id_predicted_at_idx" ON "outcomes"("model_id", "predicted_at");
ALTER TABLE "outcomes" ADD CONSTRAINT "outcomes_prediction_id_predicted_at_fkey"
    FOREIGN KEY ("prediction_id", "predicted_at") REFERENCES "predictions"("id", "predicted_at")
    ON DELETE CASCADE ON UPDATE CASCADE;

-- Creates the monthly partitions of predictions and outcomes that contain the given instants.
-- Serialised by a transaction-scoped advisory lock so that concurrent callers never race on DDL.
CREATE FUNCTION hindsight_ensure_partitions(instants TIMESTAMPTZ[]) RETURNS INTEGER
LANGUAGE plpgsql AS $$
DECLARE
    month_start TIMESTAMPTZ;
    suffix TEXT;
    created INTEGER := 0;
BEGIN
    PERFORM pg_advisory_xact_lock(hashtext('hindsight_ensure_partitions'));
    FOR month_start IN
        SELECT DISTINCT date_trunc('month', i AT TIME ZONE 'UTC') AT TIME ZONE 'UTC' FROM unnest(instants) AS i
    LOOP
        suffix := to_char(month_start AT TIME ZONE 'UTC', '"y"YYYY"m"MM');
        IF to_regclass(format('predictions_%s', suffix)) IS NULL THEN
            EXECUTE format('CREATE TABLE %I PARTITION OF predictions FOR VALUES FROM (%L) TO (%L)',
                'predictions_' || suffix, month_start, month_start + INTERVAL '1 month');
            created := created + 1;
        END IF;
        IF to_regclass(format('outcomes_%s', suffix)) IS NULL THEN
            EXECUTE format('CREATE TABLE %I PARTITION OF outcomes FOR VALUES FROM (%L) TO (%L)',
                'outcomes_' || suffix, month_start, month_start + INTERVAL '1 month');
            created := created + 1;
        END IF;
    END LOOP;
    RETURN created;
END;
$$;

CREATE TABLE "api_keys" (
    "id" UUID NOT NULL DEFAULT gen_random_uuid(),
    "name" TEXT NOT NULL,
    "prefix" TEXT NOT NULL,
    "key_hash" BYTEA NOT NULL,
    "scopes" TEXT[] NOT NULL,
    "models" TEXT[] NOT NULL DEFAULT '{}',
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "expires_at" TIMESTAMPTZ(3),
    "revoked_at" TIMESTAMPTZ(3),
    "last_used_at" TIMESTAMPTZ(3),
    CONSTRAINT "api_keys_pkey" PRIMARY KEY ("id")
);
CREATE UNIQUE INDEX "api_keys_prefix_key" ON "api_keys"("prefix");
CREATE UNIQUE INDEX "api_keys_key_hash_key" ON "api_keys"("key_hash");

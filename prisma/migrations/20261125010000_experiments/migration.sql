-- Experiments (A/B tests between versions of a model) and claims on the active-learning labeling queue.

CREATE TYPE "experiment_status" AS ENUM ('running', 'concluded');
CREATE TYPE "experiment_mode" AS ENUM ('fixed', 'sequential');

CREATE TABLE "experiments" (
    "id" UUID NOT NULL DEFAULT gen_random_uuid(),
    "name" TEXT NOT NULL,
    "model_id" UUID NOT NULL,
    "metric" TEXT NOT NULL,
    "mode" "experiment_mode" NOT NULL,
    "min_samples_per_arm" INTEGER NOT NULL,
    "confidence" DOUBLE PRECISION NOT NULL,
    -- Sequential mode: the mixing standard deviation of the mSPRT, in units of the per-observation standard deviation.
    "tau" DOUBLE PRECISION,
    -- Which outcomes count; NULL: every source.
    "outcome_source" "outcome_source",
    "description" TEXT,
    "status" "experiment_status" NOT NULL DEFAULT 'running',
    "starts_at" TIMESTAMPTZ(3) NOT NULL,
    "ends_at" TIMESTAMPTZ(3),
    "concluded_at" TIMESTAMPTZ(3),
    "winner_version_id" UUID,
    -- The results as they were when the experiment was concluded: later outcomes change nothing.
    "conclusion" JSONB,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "experiments_pkey" PRIMARY KEY ("id"),
    CONSTRAINT "experiments_confidence_check" CHECK ("confidence" > 0 AND "confidence" < 1),
    CONSTRAINT "experiments_span_check" CHECK ("ends_at" IS NULL OR "ends_at" > "starts_at")
);
CREATE UNIQUE INDEX "experiments_name_key" ON "experiments"("name");
CREATE INDEX "experiments_model_id_created_at_idx" ON "experiments"("model_id", "created_at");
CREATE INDEX "experiments_created_at_id_idx" ON "experiments"("created_at", "id");
-- Predictions carry no experiment id, only a version and a unit: two running experiments on one model
-- could not tell their predictions apart, so a model runs one experiment at a time.
CREATE UNIQUE INDEX "experiments_one_running_per_model" ON "experiments"("model_id") WHERE "status" = 'running';
ALTER TABLE "experiments" ADD CONSTRAINT "experiments_model_id_fkey"
    FOREIGN KEY ("model_id") REFERENCES "models"("id") ON DELETE CASCADE ON UPDATE CASCADE;
ALTER TABLE "experiments" ADD CONSTRAINT "experiments_winner_version_id_fkey"
    FOREIGN KEY ("winner_version_id") REFERENCES "model_versions"("id") ON DELETE SET NULL ON UPDATE CASCADE;

CREATE TABLE "experiment_arms" (
    "experiment_id" UUID NOT NULL,
    "position" INTEGER NOT NULL,
    "version_id" UUID NOT NULL,
    -- Normalised: the weights of an experiment sum to 1.
    "weight" DOUBLE PRECISION NOT NULL,
    CONSTRAINT "experiment_arms_pkey" PRIMARY KEY ("experiment_id", "position"),
    CONSTRAINT "experiment_arms_weight_check" CHECK ("weight" > 0 AND "weight" <= 1)
);
CREATE UNIQUE INDEX "experiment_arms_experiment_id_version_id_key" ON "experiment_arms"("experiment_id", "version_id");
ALTER TABLE "experiment_arms" ADD CONSTRAINT "experiment_arms_experiment_id_fkey"
    FOREIGN KEY ("experiment_id") REFERENCES "experiments"("id") ON DELETE CASCADE ON UPDATE CASCADE;
ALTER TABLE "experiment_arms" ADD CONSTRAINT "experiment_arms_version_id_fkey"
    FOREIGN KEY ("version_id") REFERENCES "model_versions"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- A labeler's claim on some predictions of the labeling queue, for a time.
CREATE TABLE "labeling_claims" (
    "id" UUID NOT NULL DEFAULT gen_random_uuid(),
    "model_id" UUID NOT NULL,
    "claimant" TEXT NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "expires_at" TIMESTAMPTZ(3) NOT NULL,
    "released_at" TIMESTAMPTZ(3),
    CONSTRAINT "labeling_claims_pkey" PRIMARY KEY ("id")
);
CREATE INDEX "labeling_claims_model_id_created_at_idx" ON "labeling_claims"("model_id", "created_at");
ALTER TABLE "labeling_claims" ADD CONSTRAINT "labeling_claims_model_id_fkey"
    FOREIGN KEY ("model_id") REFERENCES "models"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- The predictions a claim holds. One row per prediction at most: a new claim takes over the row only when
-- the old one has expired (INSERT … ON CONFLICT … DO UPDATE … WHERE expires_at <= now()), which is what
-- makes two concurrent claims never hand out the same prediction. Released and labeled predictions lose
-- their row.
CREATE TABLE "labeling_claim_items" (
    "prediction_id" TEXT NOT NULL,
    "predicted_at" TIMESTAMPTZ(3) NOT NULL,
    "model_id" UUID NOT NULL,
    "claim_id" UUID NOT NULL,
    "expires_at" TIMESTAMPTZ(3) NOT NULL,
    CONSTRAINT "labeling_claim_items_pkey" PRIMARY KEY ("prediction_id")
);
CREATE INDEX "labeling_claim_items_claim_id_idx" ON "labeling_claim_items"("claim_id");
CREATE INDEX "labeling_claim_items_model_id_expires_at_idx" ON "labeling_claim_items"("model_id", "expires_at");
ALTER TABLE "labeling_claim_items" ADD CONSTRAINT "labeling_claim_items_claim_id_fkey"
    FOREIGN KEY ("claim_id") REFERENCES "labeling_claims"("id") ON DELETE CASCADE ON UPDATE CASCADE;

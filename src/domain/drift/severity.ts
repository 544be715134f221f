/**
 * How severe a drift is: the rule `hindsight-drift-severity` v1, returned with every report and documented
 * in the README. It combines significance (a corrected p-value below α, or a distance at or above its
 * threshold decides *whether* something drifted), effect size (PSI bands decide *how much*), the share of
 * drifted features, and concept drift, which weighs most: only a model that measurably got worse on live
 * outcomes can make a report critical.
 */
export const SEVERITIES = ['none', 'low', 'medium', 'high', 'critical'] as const;
export type Severity = (typeof SEVERITIES)[number];
export const severityRank = (severity: Severity): number => SEVERITIES.indexOf(severity);
const at = (rank: number): Severity => SEVERITIES[Math.max(0, Math.min(4, rank))]!;
export const maxSeverity = (...severities: Severity[]): Severity => at(Math.max(0, ...severities.map(severityRank)));

export const SEVERITY_RULE = { name: 'hindsight-drift-severity', version: '1' } as const;

/** PSI bands of a drifted feature: below the first → low, below the second → medium, else high. */
export const PSI_BANDS = [0.1, 0.25] as const;
/** A change of the missing-value share by this many points counts as drift (medium), by the second as high. */
export const MISSING_SHIFT_BANDS = [0.1, 0.25] as const;
/** Evidently's dataset-drift share: from this share of drifted features on, data drift is one step more severe. */
export const DATASET_DRIFT_SHARE = 0.5;
/** Relative degradation of the primary metric (accuracy or MAE): below the first → medium, below the second → high, else critical. */
export const CONCEPT_BANDS = [0.05, 0.2] as const;
export const CONCEPT_ALPHA = 0.05;

export type FeatureStatus = 'tested' | 'missing_in_current' | 'missing_in_reference' | 'not_tested';

/** One feature or model output. */
export function featureSeverity(input: { status: FeatureStatus; testDrifted: boolean; psi: number | null; missingShift: number }): Severity {
  if (input.status === 'missing_in_current') return 'high';
  if (input.status === 'missing_in_reference') return 'low';
  let level: Severity = 'none';
  if (input.testDrifted) {
    const psi = input.psi ?? 0;
    level = psi < PSI_BANDS[0] ? 'low' : psi < PSI_BANDS[1] ? 'medium' : 'high';
  }
  const shift = Math.abs(input.missingShift);
  if (shift >= MISSING_SHIFT_BANDS[1]) level = maxSeverity(level, 'high');
  else if (shift >= MISSING_SHIFT_BANDS[0]) level = maxSeverity(level, 'medium');
  return level;
}

/** Concept drift: a significant change of the primary metric between the windows, rated by how much worse it got. */
export function conceptSeverity(input: { pValue: number | null; degradation: number | null }): Severity {
  if (input.pValue === null || !(input.pValue < CONCEPT_ALPHA) || input.degradation === null) return 'none';
  if (input.degradation <= 0) return 'low';
  return input.degradation < CONCEPT_BANDS[0] ? 'medium' : input.degradation < CONCEPT_BANDS[1] ? 'high' : 'critical';
}

export interface OverallInput {
  /** Severities of the drifted input features. */
  features: Severity[];
  /** Drifted features / compared features. */
  share: number;
  prediction: Severity;
  concept: Severity | null;
}

export interface OverallSeverity {
  severity: Severity;
  levels: { data: Severity; prediction: Severity; concept: Severity | null };
}

/**
 * The report's severity: the most severe of data drift (the worst drifted feature, one step more when at
 * least half the features drifted, at most high), prediction drift and concept drift; critical when the
 * model got measurably worse (concept high or critical) while its inputs or outputs moved (medium or more).
 * The streaming detector is reported beside it, not in it: its alarms are alerts of their own, and a report
 * compares two windows, so that identical windows never report drift.
 */
export function overallSeverity(input: OverallInput): OverallSeverity {
  let data = maxSeverity(...input.features);
  if (data !== 'none' && input.share >= DATASET_DRIFT_SHARE) data = at(Math.min(severityRank(data) + 1, severityRank('high')));
  const concept = input.concept ?? 'none';
  let severity = maxSeverity(data, input.prediction, concept);
  if (severityRank(concept) >= severityRank('high') && severityRank(maxSeverity(data, input.prediction)) >= severityRank('medium')) severity = 'critical';
  return { severity, levels: { data, prediction: input.prediction, concept: input.concept } };
}

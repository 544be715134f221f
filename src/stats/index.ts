// Hindsight's statistics engine: pure functions, no I/O. Every function reproducing a library states
// which one; the scipy ports are checked against test/fixtures/stats-public.json.

export { StatsInputError } from './errors.js';

// Distributions and special functions
export { betaSf, chi2Sf, normalCdf, normalPpf, normalSf, studentTCdf } from './distributions.js';
export { erf, erfc, ndtr } from './error-function.js';
export { incbet } from './incomplete-beta.js';
export { igam, igamc } from './incomplete-gamma.js';
export { kolmogorovSf, smirnovSf } from './kolmogorov.js';
export { lbeta, lgamma } from './special.js';

// Summaries
export { pairwiseSum, mean } from './summation.js';
export { kurtosis, median, skew, standardDeviation } from './moments.js';
export { percentile, percentiles, percentilesOfSorted } from './percentile.js';
export { type Ranking, rankdata, rankWithTies } from './rank.js';

// Hypothesis tests
export { type KsMethod, type KsTwoSampleResult, ksTwoSample } from './ks-two-sample.js';
export { oneSampleTTest, studentTTest, type TTestResult, welchTTest } from './t-test.js';
export { type ShapiroWilkResult, shapiroWilk } from './shapiro-wilk.js';
export { type Chi2ContingencyResult, chi2Contingency } from './chi2-contingency.js';
export { type MannWhitneyMethod, type MannWhitneyResult, mannWhitneyExactSf, mannWhitneyU } from './mann-whitney.js';
export { type ProportionsZTestResult, proportionsZTest } from './proportions-z.js';

// Distances and drift scores
export { wassersteinDistance } from './wasserstein.js';
export { jensenShannon } from './jensen-shannon.js';
export {
  type Binning,
  type Category,
  evidentlyBinning,
  type FeatureType,
  fillZeroes,
  histogramPercents,
  sturgesEdges,
} from './binning.js';
export { type BinnedJensenShannonResult, jensenShannonBinned, psi, type PsiResult } from './psi.js';

// Model metrics
export { type RegressionMetrics, regressionMetrics } from './regression-metrics.js';
export {
  type BinaryClassificationMetrics,
  binaryClassificationMetrics,
  type ClassLabel,
  type MulticlassMetrics,
  multiclassClassificationMetrics,
  rocAuc,
} from './classification-metrics.js';
export { type CalibrationBin, type CalibrationResult, expectedCalibrationError } from './calibration.js';

// Correlation, multiple testing, trend
export { correlationRatio, type CorrelationResult, pearson, spearman } from './correlation.js';
export { benjaminiHochberg, holm } from './multiple-testing.js';
export { mannKendall, type MannKendallResult } from './mann-kendall.js';

// Evidently drift tests and streaming detectors
export {
  chiSquareGoodnessDrift,
  type DriftTestResult,
  jensenShannonDrift,
  normalizedWasserstein,
  zTestBinaryDrift,
} from './evidently-drift.js';
export {
  ddmInitialState,
  type DdmOptions,
  type DdmState,
  ddmUpdate,
  type DetectorStatus,
  pageHinkleyInitialState,
  type PageHinkleyOptions,
  type PageHinkleyState,
  pageHinkleyUpdate,
} from './drift-detectors.js';

// Sampling
export { deterministicSample, mulberry32, seedFromString } from './sampling.js';

// Experiments: quantiles, two-sample comparisons from moments, goodness of fit, sequential testing
export { studentTPdf, studentTPpf } from './student-t-quantile.js';
export {
  combineMoments,
  type DifferenceTest,
  type Interval,
  type Moments,
  momentsOf,
  proportionsFromCounts,
  sampleVariance,
  twoSidedNormalP,
  welchFromMoments,
} from './two-sample-summary.js';
export { type ChiSquareGoodnessOfFitResult, chiSquareGoodnessOfFit } from './chi-square-gof.js';
export { msprtConfidenceInterval, msprtLogLikelihoodRatio, msprtPValue } from './msprt.js';

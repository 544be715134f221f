import { Type } from 'typebox';
import { Nullable } from '../schemas.js';
import { NullableNumber, ReasonsSchema, SampleSchema, ScopeProperties, WindowQueryProperties } from './common-schemas.js';

export const ErrorAnalysisQuery = Type.Object({ ...WindowQueryProperties }, { additionalProperties: false });

const SliceSchema = Type.Union(
  [
    Type.Object({ kind: Type.Literal('range'), lower: NullableNumber('exclusive lower bound; null = unbounded'), upper: NullableNumber('inclusive upper bound; null = unbounded') }),
    Type.Object({ kind: Type.Literal('value'), value: Type.Union([Type.Number(), Type.String(), Type.Boolean()]) }),
    Type.Object({ kind: Type.Literal('other'), categories: Type.Integer({ description: 'how many less frequent categories are grouped here' }) }),
    Type.Object({ kind: Type.Literal('missing') }),
  ],
  { description: 'the slice: a quintile range (lower, upper], one value or category, the grouped other categories, or the rows where the feature is missing' },
);

const SegmentSchema = Type.Object({
  feature: Type.String(),
  slice: SliceSchema,
  label: Type.String({ examples: ['venue = "away"'] }),
  count: Type.Integer({ description: 'sample rows in the slice' }),
  restCount: Type.Integer({ description: 'sample rows outside it' }),
  test: Type.Union([Type.Literal('welch-t'), Type.Literal('two-proportion-z')]),
  statistic: NullableNumber('t (Welch) or z; null when infinite'),
  pValue: Type.Number({ description: 'two-sided p-value of the slice vs the rest' }),
  adjustedPValue: Type.Number({ description: 'Holm-adjusted over every slice tested; reported slices have < 0.05' }),
  mean: Type.Optional(Type.Number({ description: 'regression: mean residual in the slice' })),
  restMean: Type.Optional(Type.Number({ description: 'regression: mean residual in the rest' })),
  meanDifference: Type.Optional(Type.Number({ description: 'regression: mean − restMean (positive: the slice is over-predicted)' })),
  cohensD: Type.Optional(NullableNumber('regression: meanDifference / pooled standard deviation')),
  accuracy: Type.Optional(Type.Number({ description: 'classification: accuracy in the slice' })),
  restAccuracy: Type.Optional(Type.Number()),
  accuracyDifference: Type.Optional(Type.Number({ description: 'classification: accuracy − restAccuracy' })),
});

const SegmentsSchema = Type.Object({
  sample: SampleSchema,
  method: Type.Object({
    compares: Type.String(),
    numericSlices: Type.String(),
    categoricalSlices: Type.String(),
    missingValues: Type.String(),
    minSliceSize: Type.Integer({ description: 'slices (and rests) with fewer usable rows are not tested' }),
    correction: Type.Literal('holm'),
    alpha: Type.Number(),
  }),
  testedSlices: Type.Integer({ description: 'slices tested, over all features: the size of the Holm correction' }),
  features: Type.Array(
    Type.Object({
      feature: Type.String(),
      kind: Type.Union([Type.Literal('numeric'), Type.Literal('categorical')]),
      binning: Type.Union([Type.Literal('quintiles'), Type.Literal('values'), Type.Literal('categories')]),
      edges: Type.Optional(Type.Array(Type.Number(), { description: 'quintile cut points of the sample' })),
      slicesTested: Type.Integer(),
    }),
  ),
  skippedFeatures: Type.Array(Type.String(), { description: 'features beyond the 100 most often present, not analysed' }),
  slices: Type.Array(SegmentSchema, { description: 'significant slices only, largest effect first (|Cohen’s d| or |accuracy difference|)' }),
});

export const ErrorAnalysisSchema = Type.Object(
  {
    ...ScopeProperties,
    residual: Type.String({ description: 'what a residual is for this model' }),
    sampleCount: Type.Integer({ description: 'labeled predictions in the window' }),
    n: Type.Integer({ description: 'residuals: labeled predictions that have one' }),
    skipped: Type.Integer({ description: 'classification: labeled predictions without P(actual label), left out' }),
    mean: NullableNumber('mean residual'),
    median: NullableNumber('median residual'),
    std: NullableNumber('standard deviation (ddof 1)'),
    min: NullableNumber('smallest residual'),
    max: NullableNumber('largest residual'),
    percentiles: Nullable(
      Type.Object(
        { p25: Type.Number(), p50: Type.Number(), p75: Type.Number(), p90: Type.Number(), p95: Type.Number(), p99: Type.Number() },
        { description: 'linear interpolation (numpy’s default)' },
      ),
    ),
    skewness: NullableNumber('biased sample skewness (scipy.stats.skew)'),
    kurtosis: NullableNumber('biased excess kurtosis, Fisher (scipy.stats.kurtosis): 0 for a normal distribution'),
    normality: Nullable(
      Type.Object({
        test: Type.Literal('shapiro-wilk'),
        statistic: Type.Number({ description: 'W; close to 1 for normal residuals' }),
        pValue: Type.Number({ description: 'small: the residuals are not normal' }),
        sample: SampleSchema,
      }),
    ),
    bias: Nullable(
      Type.Object(
        {
          test: Type.Literal('one-sample-t'),
          statistic: NullableNumber('t = mean / (std / √n); null when infinite'),
          pValue: NullableNumber('two-sided: small means the mean residual is not 0 (a systematic bias)'),
          df: Type.Integer(),
        },
        { description: 'Is the mean residual 0? For classification residuals are never negative, so read calibration (ECE) instead.' },
      ),
    ),
    segments: SegmentsSchema,
    undefined: ReasonsSchema,
    note: Type.Optional(Type.String()),
  },
  {
    examples: [
      {
        model: 'delivery-eta',
        task: 'regression',
        window: { from: '2024-10-11T00:00:00.000Z', to: '2024-10-18T00:00:00.000Z' },
        filters: { version: null, source: null },
        residual: 'predicted − actual',
        sampleCount: 300,
        n: 300,
        skipped: 0,
        mean: 1.9,
        median: 0.8,
        std: 4.1,
        min: -9.2,
        max: 17.5,
        percentiles: { p25: -1.2, p50: 0.8, p75: 3.9, p90: 8.2, p95: 10.1, p99: 14.9 },
        skewness: 0.7,
        kurtosis: 0.4,
        normality: { test: 'shapiro-wilk', statistic: 0.96, pValue: 0.0001, sample: { rule: 'the 5000 residuals whose prediction ids have the smallest md5', size: 300, population: 300 } },
        bias: { test: 'one-sample-t', statistic: 8.0, pValue: 3e-14, df: 299 },
        segments: {
          sample: { rule: 'the 50000 labeled predictions whose prediction ids have the smallest md5', size: 300, population: 300 },
          method: {
            compares: 'mean residual of the slice vs the rest (Welch t-test)',
            numericSlices: 'quintile bins of the sample',
            categoricalSlices: 'the 10 most frequent categories, the rest grouped',
            missingValues: 'a slice of their own',
            minSliceSize: 10,
            correction: 'holm',
            alpha: 0.05,
          },
          testedSlices: 12,
          features: [{ feature: 'venue', kind: 'categorical', binning: 'categories', slicesTested: 2 }],
          skippedFeatures: [],
          slices: [
            {
              feature: 'venue',
              slice: { kind: 'value', value: 'away' },
              label: 'venue = "away"',
              count: 150,
              restCount: 150,
              test: 'welch-t',
              statistic: 15.2,
              pValue: 1e-38,
              adjustedPValue: 1.2e-37,
              mean: 5.9,
              restMean: -2.1,
              meanDifference: 8.0,
              cohensD: 1.8,
            },
          ],
        },
        undefined: {},
      },
    ],
  },
);

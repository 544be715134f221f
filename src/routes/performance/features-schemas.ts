import { Type } from 'typebox';
import { DateTime, Nullable } from '../schemas.js';
import { BucketUnitSchema, NullableNumber, ReasonsSchema, SampleSchema, ScopeProperties, WindowQueryProperties } from './common-schemas.js';

export const FeatureImportanceQuery = Type.Object(
  {
    ...WindowQueryProperties,
    history: Type.Optional(Type.Boolean({ description: 'true: also the same per `bucket` of the window, so that a trend is visible' })),
    bucket: Type.Optional(BucketUnitSchema({ description: 'period of the history (default week)' })),
  },
  { additionalProperties: false },
);

const Correlation = (description: string) =>
  Nullable(
    Type.Object(
      { statistic: Type.Number({ minimum: -1, maximum: 1 }), pValue: NullableNumber('two-sided p-value of no association') },
      { description },
    ),
  );

const AssociationSchema = Type.Object({
  n: Type.Integer({ description: 'rows with both the feature (categorical: missing counts as a category) and the variable' }),
  pearson: Type.Optional(Correlation('numeric feature × numeric variable: Pearson r (scipy.stats.pearsonr)')),
  spearman: Type.Optional(Correlation('numeric feature × numeric variable: Spearman ρ (scipy.stats.spearmanr)')),
  correlationRatio: Type.Optional(NullableNumber('η in [0, 1]: categorical feature × numeric variable, or a numeric feature × the multiclass label')),
  cramersV: Type.Optional(Correlation('categorical feature × multiclass label: Cramér’s V, p-value of the χ² test of independence')),
});

const FeatureSchema = Type.Object({
  feature: Type.String(),
  type: Type.Union([Type.Literal('numeric'), Type.Literal('categorical')], { description: 'numeric when every value in the sample is a number' }),
  present: Type.Integer({ description: 'sample rows with the feature' }),
  missing: Type.Integer({ description: 'sample rows without it (absent or null)' }),
  actual: AssociationSchema,
  error: AssociationSchema,
  strength: NullableNumber('|Spearman ρ|, η or Cramér’s V of the association with the actual: the sort key'),
  undefined: ReasonsSchema,
});

export const FeatureImportanceSchema = Type.Object(
  {
    ...ScopeProperties,
    sampleCount: Type.Integer({ description: 'labeled predictions in the window' }),
    sample: SampleSchema,
    actual: Type.String({ description: 'the variable features are associated with' }),
    residual: Type.String({ description: 'what the error is for this model' }),
    features: Type.Array(FeatureSchema, { description: 'strongest association with the actual first' }),
    skippedFeatures: Type.Array(Type.String()),
    note: Type.Optional(Type.String()),
    history: Type.Optional(
      Type.Object({
        bucket: BucketUnitSchema(),
        periods: Type.Array(Type.Object({ start: DateTime, end: DateTime, sampleCount: Type.Integer(), features: Type.Array(FeatureSchema) })),
      }),
    ),
  },
  {
    examples: [
      {
        model: 'delivery-eta',
        task: 'regression',
        window: { from: '2024-10-11T00:00:00.000Z', to: '2024-10-18T00:00:00.000Z' },
        filters: { version: null, source: null },
        sampleCount: 300,
        sample: { rule: 'the 50000 labeled predictions whose prediction ids have the smallest md5', size: 300, population: 300 },
        actual: 'the actual value',
        residual: 'predicted − actual',
        features: [
          {
            feature: 'distanceKm',
            type: 'numeric',
            present: 300,
            missing: 0,
            actual: { n: 300, pearson: { statistic: 0.91, pValue: 1e-90 }, spearman: { statistic: 0.9, pValue: 1e-85 } },
            error: { n: 300, pearson: { statistic: 0.05, pValue: 0.39 }, spearman: { statistic: 0.04, pValue: 0.49 } },
            strength: 0.9,
            undefined: {},
          },
        ],
        skippedFeatures: [],
      },
    ],
  },
);

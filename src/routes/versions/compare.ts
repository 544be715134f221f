import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { PromotionGateService } from '../../services/promotion-gate.js';
import { ReasonsSchema, WindowQueryProperties, WindowSchema } from '../performance/common-schemas.js';
import { PerformanceSchema } from '../performance/schemas.js';
import { ModelParams, Nullable, Slug, VersionName, problems } from '../schemas.js';

const { window, from, to, last } = WindowQueryProperties;

const CompareQuery = Type.Object({ a: VersionName, b: VersionName, window, from, to, last }, { additionalProperties: false });

const Arm = Type.Object({
  version: Type.String(),
  sampleCount: Type.Integer(),
  predictionCount: Type.Integer(),
  metrics: PerformanceSchema.properties.metrics,
  undefined: ReasonsSchema,
});

const Side = Type.Object({ version: Type.String(), samples: Type.Integer(), value: Nullable(Type.Number()) });

export const ComparisonSchema = Type.Object(
  {
    metric: Type.Union([Type.Literal('accuracy'), Type.Literal('mae')], { description: 'accuracy (classification) or MAE (regression)' }),
    higherIsBetter: Type.Boolean(),
    a: Side,
    b: Side,
    test: Type.Union([Type.Literal('two-proportion-z'), Type.Literal('welch-t')], { description: 'pooled two-proportion z-test on correctness, or Welch’s t-test on absolute errors' }),
    statistic: Nullable(Type.Number()),
    pValue: Nullable(Type.Number({ description: 'two-sided' })),
    df: Nullable(Type.Number({ description: 'Welch–Satterthwaite degrees of freedom (t-test)' })),
    alpha: Type.Number(),
    difference: Nullable(Type.Number({ description: 'b − a on the metric' })),
    improvement: Nullable(Type.Number({ description: 'how much better b is than a: accuracy b − a; MAE (a − b)/a. Negative: worse' })),
    significant: Type.Boolean({ description: 'pValue < alpha' }),
    better: Nullable(Type.Union([Type.Literal('a'), Type.Literal('b')], { description: 'the significantly better version, if any' })),
    note: Nullable(Type.String()),
  },
  { description: 'The significance of the difference between the two versions’ live metric' },
);

const CompareSchema = Type.Object(
  { model: Slug, task: Type.String(), window: WindowSchema, a: Arm, b: Arm, comparison: ComparisonSchema },
  {
    examples: [
      {
        model: 'nba-game-predictor',
        task: 'binary',
        window: { from: '2024-10-12T06:00:00.000Z', to: '2024-10-19T06:00:00.000Z' },
        a: { version: 'v3', sampleCount: 400, predictionCount: 410, metrics: null, undefined: {} },
        b: { version: 'v4', sampleCount: 380, predictionCount: 395, metrics: null, undefined: {} },
        comparison: {
          metric: 'accuracy',
          higherIsBetter: true,
          a: { version: 'v3', samples: 400, value: 0.61 },
          b: { version: 'v4', samples: 380, value: 0.68 },
          test: 'two-proportion-z',
          statistic: 2.04,
          pValue: 0.041,
          df: null,
          alpha: 0.05,
          difference: 0.07,
          improvement: 0.07,
          significant: true,
          better: 'b',
          note: null,
        },
      },
    ],
  },
);

export const compareRoutes: FastifyPluginAsyncTypebox<{ gate: PromotionGateService }> = async (app, { gate }) => {
  app.get('/v1/models/:model/versions/compare', {
    schema: {
      tags: ['versions'],
      summary: 'Compare two versions on live outcomes',
      description:
        'Both versions’ metrics over the same window (default 7d; or from + to, or last = the last N labeled predictions of each), and whether their difference is significant ' +
        '(α = 0.05): the two-proportion z-test on correctness for classification, Welch’s t-test on absolute errors for regression.',
      params: ModelParams,
      querystring: CompareQuery,
      response: { 200: CompareSchema, ...problems(404, 422) },
    },
    config: { scope: 'read' },
    handler: (request) => {
      const { a, b, ...window } = request.query;
      return gate.compare(request.params.model, a, b, window);
    },
  });
};

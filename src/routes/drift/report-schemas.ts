import { Type } from 'typebox';
import { DRIFT_METHODS } from '../../domain/drift/methods.js';
import { Cursor, DateTime, Limit, Nullable, Slug } from '../schemas.js';
import { DriftQueryProperties, DriftReportProperties, REPORT_EXAMPLE, SeveritySchema, StreamSchema, SummarySchema } from './schemas.js';

const Stored = {
  id: Type.String({ format: 'uuid' }),
  createdAt: DateTime,
  trigger: Type.Enum(['api', 'schedule'], { description: 'api: POST …/drift-reports; schedule: the daily job' }),
};

export const CreateReportBody = Type.Object(DriftQueryProperties, {
  additionalProperties: false,
  description: 'The same parameters as GET …/drift, as JSON; all optional (an empty body compares the last 7 days with the 30 before)',
  examples: [{ reference: '30d', current: '7d' }],
});

export const StoredReportSchema = Type.Object({ ...Stored, ...DriftReportProperties }, { examples: [{ id: '0193f5c2-7a41-7cc0-9d51-5b2b7f0c1e11', createdAt: '2024-10-18T00:00:01.000Z', trigger: 'api', ...REPORT_EXAMPLE }] });

export const ReportListQuery = Type.Object(
  {
    from: Type.Optional(Type.String({ format: 'date-time', description: 'reports created at or after' })),
    to: Type.Optional(Type.String({ format: 'date-time', description: 'reports created before' })),
    severity: Type.Optional(Type.Enum(['none', 'low', 'medium', 'high', 'critical'], { description: 'reports of at least this severity' })),
    limit: Limit,
    cursor: Type.Optional(Cursor),
  },
  { additionalProperties: false },
);

export const ReportParams = Type.Object({ model: Slug, id: Type.String({ format: 'uuid', description: 'the report id' }) }, { additionalProperties: false });

const NullableNumber = Nullable(Type.Number());

export const ReportListItem = Type.Object(
  {
    ...Stored,
    model: Slug,
    version: Nullable(Type.String()),
    reference: Type.Object({ kind: Type.Enum(['window', 'baseline']), from: Nullable(DateTime), to: Nullable(DateTime), rows: Type.Integer() }),
    current: Type.Object({ from: DateTime, to: DateTime, rows: Type.Integer() }),
    severity: SeveritySchema,
    summary: SummarySchema,
    prediction: Nullable(Type.Object({ drifted: Type.Boolean(), severity: SeveritySchema, meanShift: Nullable(Type.Object({ measure: Type.String(), reference: Type.Number(), current: Type.Number(), difference: Type.Number(), changePercent: NullableNumber })) })),
    concept: Nullable(
      Type.Object({ metric: Type.Enum(['accuracy', 'mae']), reference: Type.Number(), current: Type.Number(), changePercent: NullableNumber, pValue: NullableNumber, severity: SeveritySchema }),
    ),
    stream: Nullable(Type.Object({ detector: StreamSchema.properties.detector, status: StreamSchema.properties.status, lastDrift: StreamSchema.properties.lastDrift })),
    features: Type.Array(
      Type.Object({
        feature: Type.String(),
        method: Nullable(Type.Enum([...DRIFT_METHODS])),
        statistic: NullableNumber,
        pValue: NullableNumber,
        drifted: Type.Boolean(),
        severity: SeveritySchema,
        psi: NullableNumber,
      }),
      { description: 'per feature, what a chart of drift over time needs; the full report has the details' },
    ),
  },
  { description: 'A stored report, summarised: GET …/drift-reports/{id} returns all of it' },
);

import { Type } from 'typebox';
import { DateTime, Nullable, Slug } from '../schemas.js';

const Url = Type.String({
  minLength: 1,
  maxLength: 2000,
  description: 'https, resolving only to public addresses (plain http and private targets only with HINDSIGHT_WEBHOOK_ALLOW_PRIVATE=true)',
});

const Status = {
  url: Type.String(),
  status: Type.Union([Type.Literal('active'), Type.Literal('disabled')]),
  disabledReason: Nullable(Type.String({ description: 'why it was disabled (e.g. the receiver answered 410 Gone); save it again to re-enable it' })),
  disabledAt: Nullable(DateTime),
  secretPrefix: Type.String({ description: 'the start of the current secret, to recognise it' }),
  createdAt: DateTime,
  updatedAt: DateTime,
};

const Secret = Type.String({ description: 'the signing secret (`whsec_` + base64 of 32 bytes): shown only in the answer that created or rotated it' });

export const PutWebhookBody = Type.Object(
  {
    url: Url,
    rotateSecret: Type.Optional(
      Type.Boolean({ description: 'generate a new secret; the previous one keeps signing alongside it for 24 hours (two `v1,` signatures), so the trainer can switch without missing a delivery' }),
    ),
  },
  { additionalProperties: false, examples: [{ url: 'https://trainer.example.com/hooks/retrain' }, { url: 'https://trainer.example.com/hooks/retrain', rotateSecret: true }] },
);

export const WebhookSchema = Type.Object(
  {
    model: Slug,
    ...Status,
    events: Type.Array(Type.String()),
    previousSecretExpiresAt: Nullable(Type.String({ format: 'date-time', description: 'during a rotation: until when the previous secret still signs' })),
    secret: Type.Optional(Secret),
  },
  {
    examples: [
      {
        model: 'nba-game-predictor',
        url: 'https://trainer.example.com/hooks/retrain',
        status: 'active',
        disabledReason: null,
        disabledAt: null,
        secretPrefix: 'whsec_q1Zx…',
        createdAt: '2024-10-01T12:00:00.000Z',
        updatedAt: '2024-10-01T12:00:00.000Z',
        events: ['retrain.requested'],
        previousSecretExpiresAt: null,
        secret: 'whsec_q1Zx3vB7yM9pN2rT5wK8dF4hJ6lS0aC1eG3iU5oY7qE=',
      },
    ],
  },
);

const EventName = Type.Union([Type.Literal('model.version.promoted'), Type.Literal('model.version.rolled_back')]);

export const CreateSubscriptionBody = Type.Object(
  {
    url: Url,
    events: Type.Optional(Type.Array(EventName, { minItems: 1, uniqueItems: true, description: 'default: both' })),
  },
  { additionalProperties: false, examples: [{ url: 'https://serving.example.com/hooks/hindsight', events: ['model.version.promoted', 'model.version.rolled_back'] }] },
);

export const SubscriptionSchema = Type.Object(
  {
    id: Type.String({ format: 'uuid' }),
    model: Slug,
    ...Status,
    events: Type.Array(Type.String()),
    secret: Type.Optional(Secret),
  },
  {
    examples: [
      {
        id: '4b7f2c10-1d2e-4f3a-9b8c-7d6e5f4a3b2c',
        model: 'nba-game-predictor',
        url: 'https://serving.example.com/hooks/hindsight',
        status: 'active',
        disabledReason: null,
        disabledAt: null,
        secretPrefix: 'whsec_8FdQ…',
        createdAt: '2024-10-01T12:00:00.000Z',
        updatedAt: '2024-10-01T12:00:00.000Z',
        events: ['model.version.promoted', 'model.version.rolled_back'],
      },
    ],
  },
);

export const SubscriptionParams = Type.Object({ model: Slug, id: Type.String({ format: 'uuid' }) }, { additionalProperties: false });

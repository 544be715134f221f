import { randomUUID } from 'node:crypto';

/**
 * Realistic prediction bodies: a binary model, 10 features (numbers, integers, categories, a boolean), a
 * predicted label and its confidence, and an externalId that is unique in the run. Samples are rendered once
 * into a pool, so producing a request costs one string concatenation — load generation must stay cheap,
 * since it shares the machine with the servers it measures.
 */
export interface BenchModel {
  name: string;
  id: string;
  versionId: string;
  labels: [string, string];
  positiveLabel: string;
}

interface Sample {
  featuresJson: string;
  label: string;
  confidence: number;
  pPositive: number;
  /** The body from the features on: `","features":{…},"prediction":"a","confidence":0.73}` */
  tail: string;
}

const POOL = 4096;
const COUNTRIES = ['DE', 'FR', 'US', 'GB', 'ES', 'IT', 'NL', 'SE', 'PL', 'BR', 'IN', 'JP'];
const DEVICES = ['ios', 'android', 'web', 'desktop'];

function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export class Workload {
  private readonly samples: Sample[];
  private readonly head: string;
  private counter = 0;

  constructor(
    readonly model: BenchModel,
    /** Unique per run; every externalId starts with it. */
    readonly runId: string,
    seed = 42,
  ) {
    const random = mulberry32(seed);
    const fixed = (value: number, digits: number) => Number(value.toFixed(digits));
    this.samples = Array.from({ length: POOL }, () => {
      const features = {
        age: 18 + Math.floor(random() * 60),
        income: fixed(15_000 + random() * 120_000, 2),
        tenure_months: Math.floor(random() * 120),
        credit_score: fixed(300 + random() * 550, 1),
        country: COUNTRIES[Math.floor(random() * COUNTRIES.length)]!,
        device: DEVICES[Math.floor(random() * DEVICES.length)]!,
        is_returning: random() < 0.6,
        sessions_7d: Math.floor(random() * 30),
        avg_basket: fixed(random() * 250, 2),
        days_since_last_visit: fixed(random() * 90, 3),
      };
      const label = random() < 0.5 ? model.labels[0] : model.labels[1];
      const confidence = fixed(0.5 + random() * 0.5, 4);
      const featuresJson = JSON.stringify(features);
      return {
        featuresJson,
        label,
        confidence,
        pPositive: label === model.positiveLabel ? confidence : fixed(1 - confidence, 10),
        tail: `","features":${featuresJson},"prediction":${JSON.stringify(label)},"confidence":${confidence}}`,
      };
    });
    this.head = `{"model":${JSON.stringify(model.name)},"externalId":"`;
  }

  /** Next externalId suffix; `tag` separates sections and sides so ids never collide within the run. */
  private next(tag: string): { externalId: string; sample: Sample } {
    const n = this.counter++;
    return { externalId: `${this.runId}-${tag}-${n}`, sample: this.samples[n % POOL]! };
  }

  /** One `POST /v1/predictions` body (the baseline route receives the very same bodies). */
  singleBody(tag: string): string {
    const { externalId, sample } = this.next(tag);
    return this.head + externalId + sample.tail;
  }

  /** `size` predictions as one `POST /v1/predictions/batch` body. */
  batchBody(tag: string, size: number): string {
    const items: string[] = new Array(size);
    for (let i = 0; i < size; i++) {
      const { externalId, sample } = this.next(tag);
      items[i] = this.head + externalId + sample.tail;
    }
    return `{"items":[${items.join(',')}]}`;
  }

  /**
   * `size` predictions of the same kind as the column arrays of a raw `INSERT … SELECT FROM unnest(…)`
   * (ids generated client-side, as Hindsight generates them server-side).
   */
  batchColumns(tag: string, size: number): RawColumns {
    const columns: RawColumns = {
      id: new Array(size),
      externalId: new Array(size),
      features: new Array(size),
      predictedLabel: new Array(size),
      confidence: new Array(size),
      pPositive: new Array(size),
    };
    for (let i = 0; i < size; i++) {
      const { externalId, sample } = this.next(tag);
      columns.id[i] = randomUUID();
      columns.externalId[i] = externalId;
      columns.features[i] = sample.featuresJson;
      columns.predictedLabel[i] = sample.label;
      columns.confidence[i] = sample.confidence;
      columns.pPositive[i] = sample.pPositive;
    }
    return columns;
  }
}

export interface RawColumns {
  id: string[];
  externalId: string[];
  features: string[];
  predictedLabel: string[];
  confidence: number[];
  pPositive: number[];
}

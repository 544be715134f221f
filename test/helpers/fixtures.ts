import type { App } from '../../src/app.js';
import { call } from './app.js';

/** Registers a model (and optionally a production version), failing loudly when the API refuses. */
export async function createModel(app: App, body: Record<string, unknown>, productionVersion?: string): Promise<void> {
  const r = await call(app, 'POST', '/v1/models', body);
  if (r.statusCode !== 201) throw new Error(`create model: ${r.statusCode} ${r.body}`);
  if (productionVersion) {
    const v = await call(app, 'POST', `/v1/models/${body.name}/versions`, { name: productionVersion, status: 'production' });
    if (v.statusCode !== 201) throw new Error(`create version: ${v.statusCode} ${v.body}`);
  }
}

export const binaryModel = (name: string) => ({ name, task: 'binary', labels: ['BOS', 'LAL'], positiveLabel: 'LAL' });
export const regressionModel = (name: string) => ({ name, task: 'regression' });
export const multiclassModel = (name: string) => ({ name, task: 'multiclass', labels: ['home', 'away', 'draw'] });

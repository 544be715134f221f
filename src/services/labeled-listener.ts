/** Told which models got new outcomes, right after they were stored (the streaming drift detectors listen). */
export type LabeledListener = (modelIds: string[]) => void;

/** Calls the listener once per batch with the distinct model ids; a listener never fails or delays ingestion. */
export function notifyLabeled(listener: LabeledListener | undefined, modelIds: Iterable<string>): void {
  if (!listener) return;
  const ids = [...new Set(modelIds)];
  if (ids.length === 0) return;
  try {
    listener(ids);
  } catch {
    // The listener owns its errors (it logs them); ingestion has already succeeded.
  }
}

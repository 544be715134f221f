/**
 * Thrown for input the statistics engine refuses: what scipy rejects with a ValueError (same message
 * where a reference case pins it), plus input the engine deliberately refuses instead of returning
 * garbage (empty samples, NaN values, probabilities outside [0, 1]).
 */
export class StatsInputError extends Error {
  override readonly name = 'StatsInputError';
}

/** Keys that would reach an object's prototype if a body were ever merged into an object. */
export const FORBIDDEN_KEYS = ['__proto__', 'constructor', 'prototype'];

const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/**
 * The first prototype-polluting key, or (when `text` is true) the first key or string holding a NUL or a
 * lone surrogate — PostgreSQL stores neither (text refuses U+0000, jsonb both) and would fail the request
 * with a 500. Iterative: a body nested thousands of levels deep must not overflow the stack.
 */
export function findRefused(body: unknown, keys: boolean, text: boolean, prefix = '/body'): { path: string; message: string } | undefined {
  const stack: [unknown, string][] = [[body, prefix]];
  const badText = (value: string) => text && (value.includes('\u0000') || LONE_SURROGATE.test(value));
  const TEXT_MESSAGE = 'must not contain the NUL character (U+0000) or a lone surrogate';
  while (stack.length > 0) {
    const [value, path] = stack.pop()!;
    if (typeof value === 'string') {
      if (badText(value)) return { path, message: TEXT_MESSAGE };
      continue;
    }
    if (value === null || typeof value !== 'object') continue;
    if (Array.isArray(value)) {
      for (let i = value.length - 1; i >= 0; i--) stack.push([value[i], `${path}/${i}`]);
      continue;
    }
    for (const key of Object.keys(value)) {
      if (keys && FORBIDDEN_KEYS.includes(key)) return { path: `${path}/${key}`, message: 'is a forbidden key (prototype pollution)' };
      if (badText(key)) return { path: `${path}/${key.replace(/[\u0000\ud800-\udfff]/g, '?')}`, message: TEXT_MESSAGE };
      stack.push([(value as Record<string, unknown>)[key], `${path}/${key}`]);
    }
  }
  return undefined;
}

/**
 * For bodies parsed outside the JSON parser (NDJSON lines): the first key or string PostgreSQL cannot store
 * (a NUL, a lone surrogate), as a field error under `prefix`; `raw` is the JSON text the value came from.
 */
export function unstorableText(raw: string, value: unknown, prefix: string): { path: string; message: string } | undefined {
  if (!raw.includes('\\u0000') && !/\\u[dD][89a-fA-F]/.test(raw)) return undefined;
  return findRefused(value, false, true, prefix);
}

import { describe, expect, it } from 'vitest';
import { PayloadTooLargeError } from '../../src/errors.js';
import { ndjsonLines } from '../../src/services/ndjson.js';

async function lines(chunks: (string | Buffer)[], max = 1 << 20) {
  const out = [];
  for await (const line of ndjsonLines((async function* () { yield* chunks; })(), max)) out.push(line);
  return out;
}

describe('ndjsonLines', () => {
  it('splits across chunks, handles CRLF, a last line without newline, and counts blank lines', async () => {
    expect(await lines(['{"a"', ':1}\r\n\n  \n{"b":2}\n{"c"', ':3}'])).toEqual([
      { number: 1, text: '{"a":1}' },
      { number: 4, text: '{"b":2}' },
      { number: 5, text: '{"c":3}' },
    ]);
  });

  it('keeps multi-byte characters that straddle chunks', async () => {
    const bytes = Buffer.from('{"v":"Zürich ✓"}\n');
    expect(await lines([bytes.subarray(0, 9), bytes.subarray(9, 16), bytes.subarray(16)])).toEqual([{ number: 1, text: '{"v":"Zürich ✓"}' }]);
  });

  it('refuses a line longer than the limit, naming it', async () => {
    await expect(lines(['{"a":1}\n', 'x'.repeat(20), 'y'.repeat(20), '\n'], 32)).rejects.toThrow(PayloadTooLargeError);
    await expect(lines(['{"a":1}\n', 'x'.repeat(40)], 32)).rejects.toThrow(/line 2 is longer than 32 bytes/);
  });
});

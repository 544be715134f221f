import { PayloadTooLargeError } from '../errors.js';

export interface NdjsonLine {
  /** 1-based, as editors count. */
  number: number;
  text: string;
}

/**
 * Splits a byte stream into lines without holding more than one chunk and one line in memory. "\n" and
 * "\r\n" both end a line; blank lines are skipped (but counted). A line longer than `maxLineBytes` is refused.
 * UTF-8 is decoded per line: the byte 0x0A never occurs inside a multi-byte character.
 */
export async function* ndjsonLines(stream: AsyncIterable<Buffer | string>, maxLineBytes: number): AsyncGenerator<NdjsonLine> {
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  let number = 0;
  const tooLong = () => new PayloadTooLargeError(`line ${number + 1} is longer than ${maxLineBytes} bytes`, `/body/line/${number + 1}`);
  const take = (tail: Buffer): NdjsonLine | null => {
    const bytes = pending.length === 0 ? tail : Buffer.concat([...pending, tail]);
    pending = [];
    pendingBytes = 0;
    number++;
    let end = bytes.length;
    if (end > 0 && bytes[end - 1] === 0x0d) end--;
    const text = bytes.toString('utf8', 0, end);
    return text.trim() === '' ? null : { number, text };
  };
  for await (const raw of stream) {
    const chunk = typeof raw === 'string' ? Buffer.from(raw) : raw;
    let start = 0;
    for (let i = chunk.indexOf(0x0a); i !== -1; i = chunk.indexOf(0x0a, start)) {
      if (pendingBytes + (i - start) > maxLineBytes) throw tooLong();
      const line = take(chunk.subarray(start, i));
      start = i + 1;
      if (line) yield line;
    }
    if (start < chunk.length) {
      pendingBytes += chunk.length - start;
      if (pendingBytes > maxLineBytes) throw tooLong();
      // Copy: the stream may reuse its buffer.
      pending.push(Buffer.from(chunk.subarray(start)));
    }
  }
  if (pendingBytes > 0) {
    const line = take(Buffer.alloc(0));
    if (line) yield line;
  }
}

/**
 * Lines of `COPY … TO STDOUT` in PostgreSQL's text format, for a result of one
 * column: `\N` is NULL, and backslash escapes (`\\`, `\n`, `\t`, …) are undone.
 */
import { StringDecoder } from 'node:string_decoder';

const ESCAPES: Record<string, string> = { b: '\b', f: '\f', n: '\n', r: '\r', t: '\t', v: '\v' };

/** One text-format value: NULL, or the text with its escapes undone. */
export function copyTextValue(field: string): string | null {
  if (field === '\\N') return null;
  if (!field.includes('\\')) return field;
  // COPY TO writes these single-character escapes only (never octal or hex ones).
  return field.replace(/\\(.)/g, (_, ch: string) => ESCAPES[ch] ?? ch);
}

/** The values of a one-column COPY stream, one batch per chunk received. */
export async function* copyTextLines(stream: AsyncIterable<Buffer>): AsyncGenerator<(string | null)[]> {
  // A chunk can end inside a multi-byte character: the decoder carries it over.
  const decoder = new StringDecoder('utf8');
  let rest = '';
  for await (const chunk of stream) {
    const lines = (rest + decoder.write(chunk)).split('\n');
    rest = lines.pop() ?? '';
    if (lines.length) yield lines.map(copyTextValue);
  }
  if (rest) throw new Error('the COPY stream ended mid-line');
}

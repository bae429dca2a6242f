/**
 * Tokens of the expression language (SQL-like: 'strings', "quoted names",
 * bare names, numbers, operators). Positions are 0-based character offsets.
 */
import type { Pos } from './ast';

export type Token =
  | { t: 'num'; text: string; pos: Pos }
  | { t: 'str'; value: string; pos: Pos }
  | { t: 'ident'; value: string; quoted: boolean; pos: Pos }
  | { t: 'op'; value: string; pos: Pos }
  | { t: 'eof'; pos: Pos };

export class ExprSyntaxError extends Error {
  constructor(
    message: string,
    readonly pos: Pos,
  ) {
    super(message);
    this.name = 'ExprSyntaxError';
  }
}

const OPS = ['<=', '>=', '!=', '<>', '||', '+', '-', '*', '/', '%', '=', '<', '>', '(', ')', ','];

export function tokenize(src: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  while (i < src.length) {
    const c = src[i]!;
    if (c === ' ' || c === '\t' || c === '\n' || c === '\r') {
      i++;
      continue;
    }
    const start = i;
    if (c === "'" || c === '"') {
      // SQL quoting: the quote character is escaped by doubling it.
      let value = '';
      i++;
      for (;;) {
        if (i >= src.length) {
          throw new ExprSyntaxError(
            c === "'" ? `unterminated string starting at column ${start + 1} — fix: close it with '` : `unterminated quoted name starting at column ${start + 1} — fix: close it with "`,
            { start, end: src.length },
          );
        }
        const ch = src[i]!;
        if (ch === c) {
          if (src[i + 1] === c) {
            value += c;
            i += 2;
            continue;
          }
          i++;
          break;
        }
        value += ch;
        i++;
      }
      if (c === "'") out.push({ t: 'str', value, pos: { start, end: i } });
      else {
        if (value === '') throw new ExprSyntaxError(`empty quoted name at column ${start + 1}`, { start, end: i });
        out.push({ t: 'ident', value, quoted: true, pos: { start, end: i } });
      }
      continue;
    }
    if (/[0-9]/.test(c) || (c === '.' && /[0-9]/.test(src[i + 1] ?? ''))) {
      const m = /^(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][-+]?[0-9]+)?/.exec(src.slice(i))!;
      i += m[0].length;
      if (/[A-Za-z_]/.test(src[i] ?? '')) {
        throw new ExprSyntaxError(`unexpected "${src[i]}" after the number at column ${start + 1} — fix: put a space or an operator between them`, { start, end: i + 1 });
      }
      out.push({ t: 'num', text: m[0], pos: { start, end: i } });
      continue;
    }
    if (/[A-Za-z_]/.test(c)) {
      const m = /^[A-Za-z_][A-Za-z0-9_]*/.exec(src.slice(i))!;
      i += m[0].length;
      out.push({ t: 'ident', value: m[0], quoted: false, pos: { start, end: i } });
      continue;
    }
    const op = OPS.find((o) => src.startsWith(o, i));
    if (op) {
      i += op.length;
      out.push({ t: 'op', value: op === '<>' ? '!=' : op, pos: { start, end: i } });
      continue;
    }
    throw new ExprSyntaxError(`unexpected character "${c}" at column ${start + 1}`, { start, end: start + 1 });
  }
  out.push({ t: 'eof', pos: { start: src.length, end: src.length } });
  return out;
}

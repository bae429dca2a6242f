/**
 * Recursive-descent parser for the expression language. Precedence, lowest first:
 *   or · and · not · comparison / is [not] null / [not] in / [not] between ·
 *   + - || · * / % · unary minus · primary
 * Errors carry the character range they are about (ExprSyntaxError.pos).
 */
import { CAST_TARGETS, type BinaryOp, type CastTarget, type PExpr, type Pos } from './ast';
import { ExprSyntaxError, tokenize, type Token } from './lexer';
import { isValidDate, isValidTimestamp } from './temporal';

export { ExprSyntaxError } from './lexer';

const COMPARE_OPS: Record<string, BinaryOp | undefined> = { '=': '=', '!=': '!=', '<': '<', '<=': '<=', '>': '>', '>=': '>=' };
const ADDITIVE_OPS: Record<string, BinaryOp | undefined> = { '+': '+', '-': '-', '||': '||' };
const MULTIPLICATIVE_OPS: Record<string, BinaryOp | undefined> = { '*': '*', '/': '/', '%': '%' };

const KEYWORDS = new Set(['and', 'or', 'not', 'is', 'null', 'in', 'between', 'case', 'when', 'then', 'else', 'end', 'cast', 'as', 'true', 'false']);

export type ParseResult = { ok: true; expr: PExpr } | { ok: false; error: { message: string; pos: Pos } };

export function parseExpression(src: string): ParseResult {
  try {
    if (src.trim() === '') throw new ExprSyntaxError('the expression is empty — fix: write one, e.g. lower(email)', { start: 0, end: 0 });
    const p = new Parser(tokenize(src));
    const expr = p.expression();
    p.expectEnd();
    return { ok: true, expr };
  } catch (err) {
    if (err instanceof ExprSyntaxError) return { ok: false, error: { message: err.message, pos: err.pos } };
    throw err;
  }
}

class Parser {
  private i = 0;
  constructor(private readonly tokens: Token[]) {}

  private peek(offset = 0): Token {
    return this.tokens[Math.min(this.i + offset, this.tokens.length - 1)]!;
  }
  private next(): Token {
    const t = this.peek();
    if (t.t !== 'eof') this.i++;
    return t;
  }
  private isKw(word: string, offset = 0): boolean {
    const t = this.peek(offset);
    return t.t === 'ident' && !t.quoted && t.value.toLowerCase() === word;
  }
  private isOp(op: string): boolean {
    const t = this.peek();
    return t.t === 'op' && t.value === op;
  }
  private acceptKw(word: string): boolean {
    if (!this.isKw(word)) return false;
    this.i++;
    return true;
  }
  private expectKw(word: string, context: string): Token {
    if (!this.isKw(word)) this.fail(`expected ${word.toUpperCase()} ${context}`);
    return this.next();
  }
  private expectOp(op: string, context: string): Token {
    if (!this.isOp(op)) this.fail(`expected "${op}" ${context}`);
    return this.next();
  }
  private fail(what: string): never {
    const t = this.peek();
    const found = t.t === 'eof' ? 'the end of the expression' : `"${tokenText(t)}"`;
    throw new ExprSyntaxError(`${what}, found ${found} at column ${t.pos.start + 1}`, t.pos);
  }

  expectEnd(): void {
    if (this.peek().t !== 'eof') this.fail('expected the end of the expression (an operator may be missing)');
  }

  expression(): PExpr {
    return this.or();
  }

  private or(): PExpr {
    let left = this.and();
    while (this.acceptKw('or')) {
      const right = this.and();
      left = { kind: 'binary', op: 'or', left, right, pos: span(left.pos, right.pos) };
    }
    return left;
  }

  private and(): PExpr {
    let left = this.not();
    while (this.acceptKw('and')) {
      const right = this.not();
      left = { kind: 'binary', op: 'and', left, right, pos: span(left.pos, right.pos) };
    }
    return left;
  }

  private not(): PExpr {
    if (this.isKw('not')) {
      const t = this.next();
      const arg = this.not();
      return { kind: 'unary', op: 'not', arg, pos: span(t.pos, arg.pos) };
    }
    return this.predicate();
  }

  private predicate(): PExpr {
    const left = this.additive();
    const t = this.peek();
    const cmp = t.t === 'op' ? COMPARE_OPS[t.value] : undefined;
    if (cmp) {
      this.next();
      const right = this.additive();
      return { kind: 'binary', op: cmp, left, right, pos: span(left.pos, right.pos) };
    }
    if (this.isKw('is')) {
      this.next();
      const negated = this.acceptKw('not');
      const n = this.expectKw('null', 'after IS');
      return { kind: 'isnull', negated, arg: left, pos: span(left.pos, n.pos) };
    }
    const negated = this.isKw('not') && (this.isKw('in', 1) || this.isKw('between', 1));
    if (negated) this.next();
    if (this.acceptKw('in')) {
      this.expectOp('(', 'after IN');
      const list: PExpr[] = [this.expression()];
      while (this.isOp(',')) {
        this.next();
        list.push(this.expression());
      }
      const close = this.expectOp(')', 'to close the IN list');
      return { kind: 'in', negated, arg: left, list, pos: span(left.pos, close.pos) };
    }
    if (this.acceptKw('between')) {
      const low = this.additive();
      this.expectKw('and', 'in BETWEEN … AND …');
      const high = this.additive();
      return { kind: 'between', negated, arg: left, low, high, pos: span(left.pos, high.pos) };
    }
    return left;
  }

  private additive(): PExpr {
    let left = this.multiplicative();
    for (;;) {
      const t = this.peek();
      const op = t.t === 'op' ? ADDITIVE_OPS[t.value] : undefined;
      if (!op) return left;
      this.next();
      const right = this.multiplicative();
      left = { kind: 'binary', op, left, right, pos: span(left.pos, right.pos) };
    }
  }

  private multiplicative(): PExpr {
    let left = this.unary();
    for (;;) {
      const t = this.peek();
      const op = t.t === 'op' ? MULTIPLICATIVE_OPS[t.value] : undefined;
      if (!op) return left;
      this.next();
      const right = this.unary();
      left = { kind: 'binary', op, left, right, pos: span(left.pos, right.pos) };
    }
  }

  private unary(): PExpr {
    if (this.isOp('-')) {
      const t = this.next();
      const arg = this.unary();
      // Fold "-5" into a literal so that the smallest integers stay literals.
      if (arg.kind === 'lit' && (arg.litType === 'integer' || arg.litType === 'number') && typeof arg.value === 'number') {
        return { ...arg, value: -arg.value, pos: span(t.pos, arg.pos) };
      }
      return { kind: 'unary', op: 'neg', arg, pos: span(t.pos, arg.pos) };
    }
    if (this.isOp('+')) {
      this.next();
      return this.unary();
    }
    return this.primary();
  }

  private primary(): PExpr {
    const t = this.peek();
    if (t.t === 'num') {
      this.next();
      const value = Number(t.text);
      const isInt = /^[0-9]+$/.test(t.text);
      if (isInt && !Number.isSafeInteger(value)) {
        throw new ExprSyntaxError(`integer ${t.text} at column ${t.pos.start + 1} is too large (the limit is ±9007199254740991) — fix: write it as a decimal number (${t.text}.0)`, t.pos);
      }
      if (!Number.isFinite(value)) throw new ExprSyntaxError(`number ${t.text} at column ${t.pos.start + 1} is out of range`, t.pos);
      return { kind: 'lit', litType: isInt ? 'integer' : 'number', value, pos: t.pos };
    }
    if (t.t === 'str') {
      this.next();
      return { kind: 'lit', litType: 'string', value: t.value, pos: t.pos };
    }
    if (t.t === 'op' && t.value === '(') {
      this.next();
      const inner = this.expression();
      const close = this.expectOp(')', 'to close "("');
      return { ...inner, pos: span(t.pos, close.pos) };
    }
    if (t.t === 'ident') {
      if (t.quoted) {
        this.next();
        return { kind: 'col', name: t.value, pos: t.pos };
      }
      const word = t.value.toLowerCase();
      if (word === 'true' || word === 'false') {
        this.next();
        return { kind: 'lit', litType: 'boolean', value: word === 'true', pos: t.pos };
      }
      if (word === 'null') {
        this.next();
        return { kind: 'lit', litType: 'null', value: null, pos: t.pos };
      }
      if (word === 'case') return this.caseExpr();
      if (word === 'cast') return this.castExpr();
      // DATE '2024-01-31' and TIMESTAMP '2024-01-31 12:00:00' literals; a bare
      // `date` not followed by a string is a column named date.
      if ((word === 'date' || word === 'timestamp') && this.peek(1).t === 'str') {
        this.next();
        const s = this.next();
        if (s.t !== 'str') this.fail('expected a quoted value');
        const pos = span(t.pos, s.pos);
        if (word === 'date') {
          if (!isValidDate(s.value)) throw new ExprSyntaxError(`'${s.value}' is not a valid date — fix: write DATE 'YYYY-MM-DD'`, pos);
          return { kind: 'lit', litType: 'date', value: s.value, pos };
        }
        const v = s.value.replace('T', ' ');
        const full = /^\d{4}-\d{2}-\d{2}$/.test(v) ? `${v} 00:00:00` : v;
        if (!isValidTimestamp(full)) throw new ExprSyntaxError(`'${s.value}' is not a valid timestamp — fix: write TIMESTAMP 'YYYY-MM-DD HH:MM:SS' (UTC)`, pos);
        return { kind: 'lit', litType: 'timestamp', value: full, pos };
      }
      if (isOpToken(this.peek(1), '(')) return this.call();
      if (KEYWORDS.has(word)) this.fail(`unexpected keyword ${word.toUpperCase()} (quote a column with this name: "${t.value}")`);
      this.next();
      return { kind: 'col', name: t.value, pos: t.pos };
    }
    this.fail(t.t === 'eof' ? 'expected a value' : 'expected a value, a column or a function');
  }

  private call(): PExpr {
    const name = this.next();
    if (name.t !== 'ident') this.fail('expected a function name');
    this.expectOp('(', `after ${name.value}`);
    const args: PExpr[] = [];
    if (!this.isOp(')')) {
      args.push(this.expression());
      while (this.isOp(',')) {
        this.next();
        args.push(this.expression());
      }
    }
    const close = this.expectOp(')', `to close ${name.value}(…)`);
    return { kind: 'call', name: name.value.toLowerCase(), args, pos: span(name.pos, close.pos) };
  }

  private caseExpr(): PExpr {
    const start = this.next();
    const subject = this.isKw('when') ? null : this.expression();
    const whens: { when: PExpr; then: PExpr }[] = [];
    while (this.acceptKw('when')) {
      const when = this.expression();
      this.expectKw('then', 'after the WHEN condition');
      whens.push({ when, then: this.expression() });
    }
    if (whens.length === 0) this.fail('expected WHEN after CASE');
    const elseExpr = this.acceptKw('else') ? this.expression() : null;
    const end = this.expectKw('end', 'to close CASE');
    return { kind: 'case', subject, whens, else: elseExpr, pos: span(start.pos, end.pos) };
  }

  private castExpr(): PExpr {
    const start = this.next();
    this.expectOp('(', 'after CAST');
    const arg = this.expression();
    this.expectKw('as', 'in CAST(value AS type)');
    const typeTok = this.peek();
    if (typeTok.t !== 'ident') this.fail(`expected a type (${CAST_TARGETS.join(', ')})`);
    this.next();
    const to = castTargetOf(typeTok.value.toLowerCase());
    if (!to) throw new ExprSyntaxError(`unknown type "${typeTok.value}" in CAST — fix: use one of ${CAST_TARGETS.join(', ')}`, typeTok.pos);
    const close = this.expectOp(')', 'to close CAST(…)');
    return { kind: 'cast', arg, to, pos: span(start.pos, close.pos) };
  }
}

/** Common SQL spellings accepted as aliases of the language's types. */
function castTargetOf(word: string): CastTarget | undefined {
  const aliases: Record<string, CastTarget> = {
    string: 'string', text: 'string', varchar: 'string',
    integer: 'integer', int: 'integer', bigint: 'integer',
    number: 'number', double: 'number', float: 'number', decimal: 'number', numeric: 'number',
    boolean: 'boolean', bool: 'boolean',
    date: 'date',
    timestamp: 'timestamp', datetime: 'timestamp',
  };
  return aliases[word];
}

function span(a: Pos, b: Pos): Pos {
  return { start: Math.min(a.start, b.start), end: Math.max(a.end, b.end) };
}

function tokenText(t: Token): string {
  switch (t.t) {
    case 'num':
      return t.text;
    case 'str':
      return `'${t.value}'`;
    case 'ident':
      return t.quoted ? `"${t.value}"` : t.value;
    case 'op':
      return t.value;
    case 'eof':
      return '';
  }
}

function isOpToken(t: Token, op: string): boolean {
  return t.t === 'op' && t.value === op;
}

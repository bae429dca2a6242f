/**
 * A small Snowflake SQL lexer: splits a text into statements and finds the
 * first keyword, knowing '…' strings (backslash escapes, doubled quotes), "…"
 * identifiers, $$…$$ strings and --, // and C comments. The server remains the
 * authority: MULTI_STATEMENT_COUNT=1 refuses several statements, and the
 * compile check (a describe-only query over the statement as a subquery)
 * refuses anything that is not a query.
 */

export type SnowflakeStatement = { text: string; firstKeyword: string };

export function splitSnowflake(sql: string): SnowflakeStatement[] {
  const out: SnowflakeStatement[] = [];
  let start = 0;
  let first = '';
  let hasCode = false;
  let i = 0;
  const n = sql.length;
  const end = (at: number) => {
    if (hasCode) out.push({ text: sql.slice(start, at), firstKeyword: first });
    start = at + 1;
    first = '';
    hasCode = false;
  };
  while (i < n) {
    const c = sql[i] ?? '';
    const next = sql[i + 1] ?? '';
    if (c === ';') {
      end(i);
      i++;
    } else if (c === "'" || c === '"') {
      hasCode = true;
      i++;
      while (i < n) {
        const d = sql[i];
        if (d === '\\' && c === "'") i += 2;
        else if (d === c && sql[i + 1] === c) i += 2;
        else if (d === c) {
          i++;
          break;
        } else i++;
      }
    } else if (c === '$' && next === '$') {
      hasCode = true;
      const close = sql.indexOf('$$', i + 2);
      i = close < 0 ? n : close + 2;
    } else if ((c === '-' && next === '-') || (c === '/' && next === '/')) {
      const nl = sql.indexOf('\n', i);
      i = nl < 0 ? n : nl + 1;
    } else if (c === '/' && next === '*') {
      const close = sql.indexOf('*/', i + 2);
      i = close < 0 ? n : close + 2;
    } else if (/[A-Za-z_]/.test(c)) {
      const word = /^[A-Za-z_][A-Za-z0-9_$]*/.exec(sql.slice(i, i + 128))?.[0] ?? c;
      if (!hasCode) first = word.toUpperCase();
      hasCode = true;
      i += word.length;
    } else {
      // An opening parenthesis before the first word ("(SELECT …) UNION …") is not the keyword.
      if (!/\s/.test(c) && c !== '(') hasCode = true;
      i++;
    }
  }
  end(n);
  return out;
}

export const READ_KEYWORDS = new Set(['SELECT', 'WITH']);

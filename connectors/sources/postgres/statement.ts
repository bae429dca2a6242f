/**
 * The cheap, client-side half of "a single read-only SELECT": the first keyword
 * of the statement. The server does the rest — Parse refuses several commands in
 * one prepared statement, Describe tells whether it returns rows, and the
 * read-only transaction refuses any write that hides inside a SELECT.
 */

/** First keyword after whitespace, comments (nested /* *\/ as PostgreSQL allows) and opening parentheses. */
export function leadingKeyword(sql: string): string {
  let i = 0;
  while (i < sql.length) {
    const c = sql[i];
    if (c === undefined) break;
    if (/\s/.test(c) || c === '(') {
      i++;
    } else if (sql.startsWith('--', i)) {
      const nl = sql.indexOf('\n', i);
      i = nl < 0 ? sql.length : nl + 1;
    } else if (sql.startsWith('/*', i)) {
      let depth = 0;
      while (i < sql.length) {
        if (sql.startsWith('/*', i)) {
          depth++;
          i += 2;
        } else if (sql.startsWith('*/', i)) {
          depth--;
          i += 2;
          if (depth === 0) break;
        } else i++;
      }
    } else break;
  }
  return /^[A-Za-z_]+/.exec(sql.slice(i))?.[0]?.toUpperCase() ?? '';
}

export const READ_KEYWORDS = new Set(['SELECT', 'WITH', 'VALUES', 'TABLE']);

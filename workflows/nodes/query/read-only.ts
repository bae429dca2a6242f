/**
 * A lexical guard for query SQL: exactly one statement, a SELECT (or WITH …
 * SELECT), and no data-changing keyword outside strings, quoted names and
 * comments. Sources enforce read-only access themselves where they can (the
 * DuckDB source opens files read-only); this check gives the same clear,
 * node-addressed error for every warehouse, before anything is sent.
 */

/** Keywords that change data or the database inside an otherwise SELECT-shaped statement. */
const WRITE_KEYWORDS = [
  'INSERT', 'UPDATE', 'DELETE', 'MERGE', 'UPSERT', 'DROP', 'CREATE', 'ALTER', 'TRUNCATE', 'GRANT', 'REVOKE',
  'COPY', 'CALL', 'EXEC', 'EXECUTE', 'ATTACH', 'DETACH', 'INSTALL', 'PRAGMA', 'VACUUM',
];

/** Removes strings, quoted identifiers and comments, keeping statement structure. */
export function stripSqlLiterals(sql: string): string {
  let out = '';
  let i = 0;
  while (i < sql.length) {
    const c = sql[i]!;
    const two = sql.slice(i, i + 2);
    if (two === '--' || c === '#') {
      const end = sql.indexOf('\n', i);
      i = end === -1 ? sql.length : end;
      out += ' ';
    } else if (two === '/*') {
      const end = sql.indexOf('*/', i + 2);
      i = end === -1 ? sql.length : end + 2;
      out += ' ';
    } else if (c === "'" || c === '"' || c === '`') {
      let j = i + 1;
      while (j < sql.length) {
        if (sql[j] === '\\' && c === "'") j += 2;
        else if (sql[j] === c && sql[j + 1] === c) j += 2;
        else if (sql[j] === c) break;
        else j++;
      }
      i = j + 1;
      out += c === "'" ? " '' " : ' q ';
    } else if (two === '$$') {
      const end = sql.indexOf('$$', i + 2);
      i = end === -1 ? sql.length : end + 2;
      out += " '' ";
    } else {
      out += c;
      i++;
    }
  }
  return out;
}

/** The SQL without trailing semicolons and whitespace (it is nested into a CTE). */
export function trimStatement(sql: string): string {
  return sql.replace(/[\s;]+$/, '');
}

/** null when the SQL is one read-only SELECT; otherwise what is wrong and how to fix it. */
export function readOnlyProblem(sql: string): string | null {
  const code = stripSqlLiterals(trimStatement(sql));
  if (code.trim() === '') return 'the SQL is empty — fix: write a SELECT statement';
  if (code.includes(';')) return 'the SQL holds several statements — fix: keep a single SELECT (no ";" between statements)';
  const first = /^\s*\(*\s*([A-Za-z]+)/.exec(code)?.[1]?.toUpperCase();
  if (first !== 'SELECT' && first !== 'WITH' && first !== 'FROM' && first !== 'VALUES' && first !== 'TABLE') {
    return `the SQL starts with ${first ?? 'something other than SELECT'}; only a read-only SELECT can feed a pipeline — fix: write a SELECT`;
  }
  if (/\bFOR\s+(UPDATE|SHARE)\b/i.test(code)) return 'the SQL locks rows (FOR UPDATE/SHARE) — fix: remove the locking clause';
  const words = code.toUpperCase().match(/[A-Z_]+/g) ?? [];
  const bad = words.find((w) => WRITE_KEYWORDS.includes(w));
  if (bad) {
    return `the SQL contains ${bad}, which would change data or settings; a pipeline only reads — fix: remove it (if ${bad.toLowerCase()} is a column name, quote it)`;
  }
  if (/\bREPLACE\s+INTO\b/i.test(code)) return 'the SQL contains REPLACE INTO, which writes rows; a pipeline only reads — fix: remove it';
  if (/\bINTO\b/i.test(code)) return 'the SQL uses SELECT … INTO, which writes a table — fix: remove INTO';
  return null;
}

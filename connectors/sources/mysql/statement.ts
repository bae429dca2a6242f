/**
 * A small MySQL/MariaDB lexer: just enough to split a text into statements and
 * to see its top-level words, so the source can say "several statements" or
 * "SELECT … INTO writes a file" clearly before anything runs.
 *
 * It knows '…' and "…" strings (backslash escapes and doubled quotes), `…`
 * identifiers, `-- ` / `#` / C comments, and executable comments
 * (/*! … *\/, /*M! … *\/), whose content MySQL runs and so is lexed as code.
 * The server stays the backstop: the connection never enables
 * multipleStatements, and the transaction is READ ONLY.
 */

export type MySqlStatement = {
  /** The statement's text without its terminating ";". */
  text: string;
  /** Upper-cased words outside strings, identifiers and comments, in order. */
  words: string[];
};

export function splitMySql(sql: string): MySqlStatement[] {
  const out: MySqlStatement[] = [];
  let start = 0;
  let words: string[] = [];
  let hasCode = false;
  let inExecutableComment = false;
  let i = 0;
  const n = sql.length;

  const endStatement = (end: number) => {
    if (hasCode) out.push({ text: sql.slice(start, end), words });
    start = end + 1;
    words = [];
    hasCode = false;
  };

  while (i < n) {
    const c = sql[i] ?? '';
    const next = sql[i + 1] ?? '';
    if (c === ';') {
      endStatement(i);
      i++;
    } else if (c === "'" || c === '"' || c === '`') {
      hasCode = true;
      i++;
      while (i < n) {
        const d = sql[i];
        if (d === '\\' && c !== '`') i += 2;
        else if (d === c && sql[i + 1] === c) i += 2;
        else if (d === c) {
          i++;
          break;
        } else i++;
      }
    } else if (c === '#' || (c === '-' && next === '-' && (i + 2 >= n || /[\s\x00-\x1f]/.test(sql[i + 2] ?? '')))) {
      const nl = sql.indexOf('\n', i);
      i = nl < 0 ? n : nl + 1;
    } else if (c === '/' && next === '*') {
      const exec = /^\/\*M?!\d{0,6}/.exec(sql.slice(i, i + 10));
      if (exec) {
        inExecutableComment = true;
        i += exec[0].length;
      } else {
        const close = sql.indexOf('*/', i + 2);
        i = close < 0 ? n : close + 2;
      }
    } else if (c === '*' && next === '/' && inExecutableComment) {
      inExecutableComment = false;
      i += 2;
    } else if (/[A-Za-z_]/.test(c)) {
      const m = /^[A-Za-z_][A-Za-z0-9_$]*/.exec(sql.slice(i, i + 128));
      const word = m?.[0] ?? c;
      words.push(word.toUpperCase());
      hasCode = true;
      i += word.length;
    } else {
      if (!/\s/.test(c)) hasCode = true;
      i++;
    }
  }
  endStatement(n);
  return out;
}

export const READ_KEYWORDS = new Set(['SELECT', 'WITH', 'VALUES', 'TABLE']);

/** The first word, after any opening parentheses ("(SELECT …) UNION (SELECT …)"). */
export function firstKeyword(statement: MySqlStatement): string {
  return statement.words[0] ?? '';
}

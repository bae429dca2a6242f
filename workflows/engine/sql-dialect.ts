/**
 * The few SQL building blocks the engine needs per warehouse dialect: literals,
 * identifiers, concatenation, md5, and the canonical text of each field type
 * (see hash.ts for the definition those texts implement).
 */
import { createHash } from 'node:crypto';
import type { FieldType } from '../../connectors/sdk/types';

export type HashDialect = 'duckdb' | 'postgres' | 'mysql';

export function isHashDialect(d: string): d is HashDialect {
  return d === 'duckdb' || d === 'postgres' || d === 'mysql';
}

export type DialectSql = {
  literal(s: string): string;
  ident(name: string): string;
  /** Concatenation; NULL when any part is NULL. */
  concat(parts: string[]): string;
  /**
   * Concatenation of parts that are never NULL (a literal, a COALESCE, a CASE
   * whose every branch is non-NULL), in the dialect's cheapest form. In DuckDB that is one
   * concat() call: each `||` builds an intermediate string vector per chunk,
   * and a canonical text of eight fields built with `||` took 4× as long
   * (1.31 against 0.32 s for 1M rows) once freed pages go back to the system
   * at once (worker-command.ts WORKER_ENV). concat() skips NULLs where `||`
   * yields NULL, hence the contract.
   */
  concatNonNull(parts: string[]): string;
  coalesce(a: string, b: string): string;
  replace(expr: string, from: string, to: string): string;
  md5(expr: string): string;
  canonicalText(type: FieldType, expr: string, scale: number): string;
  /** Window count of rows sharing `expr`. */
  countOver(expr: string): string;
  /** Integer division of non-negative integers. */
  intDiv(a: string, b: number): string;
  /** ORDER BY term sorting text by its UTF-8 bytes (= code points), the order merge.ts expects. */
  byteOrder(expr: string): string;
  /** Type name for casting to text. */
  textType: string;
  /** hash.ts field escaping (`\` → `\\`, `|` → `\|`) of a text expression. */
  escapeField(expr: string): string;
  /**
   * A field of COPY's CSV format for a text expression: NULL → '' (an empty
   * unquoted field, which COPY reads as NULL), else the text in double quotes
   * with its quotes doubled.
   */
  csvField(expr: string): string;
  /**
   * A field of COPY's text format that holds no tab (merge.ts reads it back
   * as it reads COPY's output): `\` → `\\`, a tab → `\t`, NULL → `\N`.
   */
  copyTextField(expr: string): string;
  /** The non-negative integer a text of at most 15 lowercase hex digits spells (buckets.ts). */
  hexToInt(expr: string, digits: number): string;
  /**
   * True when the integer expression is one of `values` (a list of thousands,
   * e.g. an incremental merge's differing buckets), in the dialect's fastest
   * form for long lists.
   */
  inIntegers(expr: string, values: readonly number[]): string;
  /**
   * True when the text expression is one of `values` (a page of record keys,
   * e.g. the rows whose payloads a second pass fetches), in the dialect's
   * fastest form for long lists. `values` is not empty.
   */
  inTexts(expr: string, values: readonly string[]): string;
  /**
   * Incremental runs compare bucket digests before merging (buckets.ts). That
   * costs the warehouse a hash of every row and saves sorting and shipping
   * every row. With md5 digests (two more md5 calls a row) PostgreSQL's plain
   * sorted merge was faster (9.5 s against 11.6–12.4 s at 1M rows); with
   * native ones (rowHash) both DuckDB and PostgreSQL compare digests first
   * (docs/performance.md). MySQL keeps the plain merge until measured.
   */
  digestsFirst: boolean;
  /**
   * Whether the extract reads two queries at once on two connections: an
   * incremental run's shared match values and bucket digests (extract.ts
   * digestBuckets), a first sync's shared keys and shared match values.
   * PostgreSQL groups a column's values in one process and the digests in
   * parallel workers, so together they use both cores (bench model, 1M rows:
   * match values and digests 2.75–3.34 s against 3.67–4.25 s one after the
   * other; keys and match values 1.45–1.62 s against 2.32–2.74 s). DuckDB
   * runs both on one thread pool and one memory budget inside the worker:
   * together the match values and digests took as long (5M rows: 2.1–2.3
   * against 1.9–2.4 s) and raised the peak by 20–40 MB.
   */
  concurrentReads: boolean;
  /**
   * `source` (a FROM item aliased bf_p) with one more column, `as`, holding
   * `expr` (over bf_p) computed once a row, for dialects that would compute a
   * repeated expression again at each use. The canonical payload is used
   * twice, as the payload and inside its content hash, and PostgreSQL
   * evaluates both: a one-element unnest() in a subquery's select list keeps
   * the planner from merging the subquery into the outer query (it cannot
   * drop or move a set-returning function), and unlike OFFSET 0 it keeps
   * the query parallel. The first sync's keys query over 1M bench rows took
   * 5.4–6.0 s of serial CPU against 8.0–8.1 s, and 3.3–3.4 s in parallel
   * against 4.0–4.2 s, with byte-identical lines. On DuckDB the same fence
   * made no clear difference (1.38–1.93 s against 1.85–2.01 s for 1M rows),
   * as its optimizer eliminates common subexpressions itself.
   */
  computedOnce?: (source: string, expr: string, as: string) => string;
  /**
   * Whether the digest query (extract-sql.ts digestQuery) sorts its computed
   * columns (bucket, validity, row digest) by bucket in a subquery before
   * grouping them. PostgreSQL takes a hashed bucket for as many groups as
   * rows, so it sorts for the GROUP BY, and that sort carries every column
   * the aggregates read, their arguments being computed after it: the row's
   * mapped columns, ~100 bytes a row. A subquery with ORDER BY is planned on
   * its own, so its sort carries the three computed columns, and the GROUP BY
   * reads its rows in order without sorting again. Bench model, 1M rows,
   * 16MB work_mem, identical lines, three runs each: 1.39–1.44 s of serial
   * CPU against 1.72–1.99 s (the sort spilled 33 MB against 96 MB); in
   * parallel 0.95–1.31 s against 1.12–1.68 s, with 1.56–2.07 s of CPU
   * against 2.02–2.63 s. DuckDB computes the aggregates' arguments before its
   * hash aggregate, and would only sort for nothing.
   */
  sortBeforeGrouping?: boolean;
  /**
   * A fast 64-bit hash of a text expression, stable within one query, if the
   * dialect has one: shared values are then found by grouping hashes, not
   * texts. DuckDB's hash(): at 1M rows 35% faster and ~50 MB less memory.
   */
  hash64?: (expr: string) => string;
  /**
   * A 60-bit hash of a row's key and mapped fields' values, salted with a
   * plain-text salt, if the dialect has a fast one: row digests (buckets.ts)
   * then come from the mapped columns as the warehouse holds them, instead of
   * from the canonical text and two md5s. Such a digest is the warehouse's
   * own, so it also covers the engine's version, and only that warehouse can
   * compute it. It must change whenever a field's canonical text (hash.ts)
   * changes, and must not be a sum of per-column parts: a bucket's digest
   * adds its rows' digests, so values swapped between two rows of a bucket
   * would cancel out.
   */
  rowHash?: (salt: string, key: string, fields: readonly { type: FieldType; expr: string }[]) => string;
  /**
   * A 60-bit hash of one text expression salted with a plain-text salt, where
   * the dialect has a cheaper form than rowHash for a single value. Key
   * buckets use it: every incremental run computes one for every row.
   */
  keyHash?: (salt: string, expr: string) => string;
};

const LOW_60_BITS = 2n ** 60n - 1n;

/** A salt as a 60-bit integer seed for a seeded hash function. */
function saltSeed(salt: string): string {
  return BigInt(`0x${createHash('md5').update(salt).digest('hex').slice(0, 15)}`).toString();
}

const standardLiteral = (s: string) => `'${s.replace(/'/g, "''")}'`;
/** `expr IN (VALUES (a), (b), …)` over literals already written as SQL: a semi join, which DuckDB hashes. */
const inValuesList = (expr: string, literals: readonly string[]) => `${expr} IN (VALUES ${literals.map((l) => `(${l})`).join(', ')})`;

/** `expr IN (a, b, …)` over literals already written as SQL: MySQL sorts the list and binary-searches it. */
const inConstantList = (expr: string, literals: readonly string[]) => `${expr} IN (${literals.join(', ')})`;

/** An integer written into SQL: refuses anything else, so no text can reach the query. */
function integer(v: number): string {
  if (!Number.isSafeInteger(v)) throw new Error(`${v} is not an integer (a bug in the caller)`);
  return String(v);
}

/** DialectSql.csvField from the dialect's own pieces, for dialects with nothing cheaper. */
function plainCsvField(d: DialectSql, e: string): string {
  return d.coalesce(d.concat([d.literal('"'), d.replace(e, '"', '""'), d.literal('"')]), d.literal(''));
}

/** DialectSql.copyTextField from the dialect's own pieces, for dialects with nothing cheaper. */
function plainCopyTextField(d: DialectSql, e: string): string {
  return d.coalesce(d.replace(d.replace(e, '\\', '\\\\'), '\t', '\\t'), d.literal('\\N'));
}

const doubleQuoted = (name: string) => `"${name.replace(/"/g, '""')}"`;

/**
 * hash.ts canonicalNumber: shortest round-trip text in the common range,
 * rounded plain digits outside it. `e` is the value, `x` its cast to a double.
 * The common range is tested first and NULL on the value itself: PostgreSQL
 * evaluates every mention of `x` again (it converts NUMERIC to a double by way
 * of text), so the usual value now costs three casts instead of five (1M
 * NUMERIC(12, 2) values in PostgreSQL: 1,015 → 759 ms). Zero, NaN and
 * infinities fall through to the later branches as before.
 */
const numberCase = (e: string, x: string, common: string, rare: string) =>
  `CASE WHEN ${e} IS NULL THEN NULL WHEN abs(${x}) >= 0.0001 AND abs(${x}) < 1e15 THEN ${common} WHEN ${x} = 0 THEN '0' ELSE ${rare} END`;

const boolText = (expr: string) => `CASE WHEN ${expr} THEN 'true' WHEN NOT ${expr} THEN 'false' END`;

const duckdb: DialectSql = {
  literal: standardLiteral,
  ident: doubleQuoted,
  concat: (parts) => `(${parts.join(' || ')})`,
  concatNonNull: (parts) => `concat(${parts.join(', ')})`,
  coalesce: (a, b) => `COALESCE(${a}, ${b})`,
  replace: (e, from, to) => `replace(${e}, ${standardLiteral(from)}, ${standardLiteral(to)})`,
  md5: (e) => `md5(${e})`,
  countOver: (e) => `count(*) OVER (PARTITION BY ${e})`,
  intDiv: (a, b) => `((${a}) // ${b})`,
  // DuckDB compares text bytewise unless a collation is set (the engine sets none).
  byteOrder: (e) => e,
  textType: 'VARCHAR',
  hexToInt: (e) => `CAST(('0x' || ${e}) AS BIGINT)`,
  // A plain IN list would be compared value by value.
  inIntegers: (e, values) => inValuesList(e, values.map(integer)),
  inTexts: (e, values) => inValuesList(e, values.map(standardLiteral)),
  digestsFirst: true,
  concurrentReads: false,
  hash64: (e) => `hash(${e})`,
  // hash() of several arguments mixes each argument's hash into the running
  // one in order (swapped or equal values do not cancel out); version():
  // a DuckDB release may hash differently, and its digests then differ.
  rowHash: (salt, key, fields) => `(hash(version(), ${[standardLiteral(salt), key, ...fields.map((f) => f.expr)].join(', ')}) >> 4)`,
  // Most values need no escaping: two substring tests are far cheaper than two
  // replaces, and than a regular expression (1M emails: 17 against 66 ms).
  escapeField: (e) => `CASE WHEN contains(${e}, '|') OR contains(${e}, '\\') THEN replace(replace(${e}, '\\', '\\\\'), '|', '\\|') ELSE ${e} END`,
  // replace() copies every string; most texts hold no quote, so they skip it.
  csvField: (e) => `CASE WHEN ${e} IS NULL THEN '' WHEN contains(${e}, '"') THEN concat('"', replace(${e}, '"', '""'), '"') ELSE concat('"', ${e}, '"') END`,
  copyTextField: (e) => {
    const [bs, tab] = [standardLiteral('\\'), standardLiteral('\t')];
    const escaped = `replace(replace(${e}, ${bs}, ${standardLiteral('\\\\')}), ${tab}, ${standardLiteral('\\t')})`;
    // As csvField: most texts hold neither character and skip the copies.
    return `CASE WHEN ${e} IS NULL THEN ${standardLiteral('\\N')} WHEN contains(${e}, ${bs}) OR contains(${e}, ${tab}) THEN ${escaped} ELSE ${e} END`;
  },
  canonicalText(type, e, scale) {
    switch (type) {
      case 'string':
        return `CAST(${e} AS VARCHAR)`;
      case 'integer':
        return `CAST(${e} AS VARCHAR)`;
      case 'number': {
        const x = `CAST(${e} AS DOUBLE)`;
        // printf expands the double exactly (a DECIMAL cast is imprecise for large values).
        const rare = `regexp_replace(regexp_replace(printf('%.${scale}f', ${x}), '0+$', ''), '\\.$', '')`;
        // DuckDB prints integral doubles as "2.0". In the common range an
        // integral value is an exact BIGINT, printed without it: one conversion
        // to text instead of three for a ".0" suffix test and cut (5M DECIMAL
        // values 0.99 → 0.64–0.78 s).
        const common = `CASE WHEN ${x} = trunc(${x}) THEN CAST(CAST(${x} AS BIGINT) AS VARCHAR) ELSE CAST(${x} AS VARCHAR) END`;
        return numberCase(e, x, common, rare);
      }
      case 'boolean':
        return boolText(e);
      case 'date':
        return `strftime(CAST(${e} AS DATE), '%Y-%m-%d')`;
      case 'timestamp':
        return `strftime(CAST(${e} AS TIMESTAMP), '%Y-%m-%dT%H:%M:%S.%fZ')`;
      case 'json':
      case 'string_array':
        return `CAST(to_json(${e}) AS VARCHAR)`;
    }
  },
};

/** A text expression hashed by its bytes, whatever its column's collation. */
const textBytes = (e: string) => `CAST(${e} AS TEXT) COLLATE "C"`;

/**
 * PostgreSQL: the value of a field that rowHash hashes, chosen so that two
 * values with the same hash have the same canonical text (hash.ts). Equal
 * numbers under their type's equality are the same double, whatever their
 * scale (1.0 and 1.00, 0 and -0), and a number's canonical text is a
 * function of that double: they are hashed as they are, no text printed.
 * Booleans, dates and timestamps are hashed in the type their text is cut
 * from. Where the canonical text is the value's own text (strings, integers,
 * which may be NUMERIC with a scale, JSON and arrays, which may lack a hash
 * function), that text is hashed.
 */
function hashedValue(type: FieldType, e: string): string {
  switch (type) {
    case 'number':
      return e;
    case 'boolean':
      return `CAST(${e} AS BOOLEAN)`;
    case 'date':
      return `CAST(${e} AS DATE)`;
    case 'timestamp':
      return `CAST(${e} AS TIMESTAMP)`;
    case 'string':
    case 'integer':
      return textBytes(e);
    case 'json':
    case 'string_array':
      return textBytes(`to_json(${e})`);
  }
}

const postgres: DialectSql = {
  literal: standardLiteral,
  ident: doubleQuoted,
  concat: (parts) => `(${parts.join(' || ')})`,
  // PostgreSQL's concat() calls each argument's output function: the first sync's keys query took
  // 5.5–5.6 s with it against 4.9–5.2 s with `||` (1M rows, serial), so `||` stays.
  concatNonNull: (parts) => `(${parts.join(' || ')})`,
  coalesce: (a, b) => `COALESCE(${a}, ${b})`,
  replace: (e, from, to) => `replace(${e}, ${standardLiteral(from)}, ${standardLiteral(to)})`,
  md5: (e) => `md5(${e})`,
  countOver: (e) => `count(*) OVER (PARTITION BY ${e})`,
  intDiv: (a, b) => `((${a}) / ${b})`,
  byteOrder: (e) => `${e} COLLATE "C"`,
  textType: 'TEXT',
  hexToInt: (e, digits) => `CAST(CAST(('x' || ${e}) AS bit(${digits * 4})) AS bigint)`,
  // A constant array, which PostgreSQL 14+ hashes: for the 9,642 buckets of a
  // 1M-row merge the filter took 0.31-0.32 s against 0.41-0.48 s as
  // `IN (VALUES …)`, whose 9,642-row plan also took 38 ms to plan.
  inIntegers: (e, values) => `${e} = ANY('{${values.map(integer).join(',')}}'::bigint[])`,
  // A constant array: PostgreSQL 14+ hashes it, as for inIntegers.
  inTexts: (e, values) => `${e} = ANY(ARRAY[${values.map(standardLiteral).join(', ')}]::text[])`,
  digestsFirst: true,
  concurrentReads: true,
  computedOnce: (source, expr, as) => `(SELECT bf_p.*, unnest(ARRAY[${expr}]) AS ${as} FROM ${source}) bf_p`,
  sortBeforeGrouping: true,
  // hash_record_extended() (PostgreSQL 14+) of a row of the key and each
  // field's value in the type its canonical text is computed from
  // (hashedValue), mixed once more by hashint8extended(): the record hash
  // alone is a weighted sum of its columns' hashes, so a bucket's sum of
  // them would not see values swapped between its rows. The salt is the
  // seed; the low 60 bits are kept. These are the type's own hash functions,
  // the ones hash partitioning uses, so PostgreSQL keeps them stable across
  // releases. No value is printed as text but where the canonical text is
  // the value's text: at 100k bench rows 0.6–0.8 µs a row, where hashing the
  // row constructor's text took 1.25 µs.
  rowHash: (salt, key, fields) =>
    `(hashint8extended(hash_record_extended(ROW(${[textBytes(key), ...fields.map((f) => hashedValue(f.type, f.expr))].join(', ')}), 0), ${saltSeed(salt)}) & ${LOW_60_BITS})`,
  // One text needs no row around it: the salt becomes the seed. Cheaper than
  // rowHash's record of one key (1M bench keys, with their cast to text and
  // the scan: 270–380 against 440–485 ms).
  keyHash: (salt, e) => `(hashtextextended(CAST(${e} AS TEXT) COLLATE "C", ${saltSeed(salt)}) & ${LOW_60_BITS})`,
  escapeField: (e) => `replace(replace(${e}, '\\', '\\\\'), '|', '\\|')`,
  csvField: (e) => plainCsvField(postgres, e),
  copyTextField: (e) => plainCopyTextField(postgres, e),
  canonicalText(type, e, scale) {
    switch (type) {
      case 'string':
        return `CAST(${e} AS TEXT)`;
      case 'integer':
        return `CAST(${e} AS TEXT)`;
      case 'number': {
        const x = `CAST(${e} AS DOUBLE PRECISION)`;
        const rare = `regexp_replace(regexp_replace(CAST(CAST(${x} AS NUMERIC(38, ${scale})) AS TEXT), '0+$', ''), '\\.$', '')`;
        return numberCase(e, x, `CAST(${x} AS TEXT)`, rare);
      }
      case 'boolean':
        return boolText(e);
      case 'date':
        return `to_char(CAST(${e} AS DATE), 'YYYY-MM-DD')`;
      case 'timestamp':
        return `to_char(CAST(${e} AS TIMESTAMP), 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`;
      case 'json':
      case 'string_array':
        return `CAST(to_json(${e}) AS TEXT)`;
    }
  },
};

/** MySQL/MariaDB: backslash is an escape character in string literals (default sql_mode). */
const mysqlLiteral = (s: string) => `'${s.replace(/\\/g, '\\\\').replace(/'/g, "''")}'`;

const mysql: DialectSql = {
  literal: mysqlLiteral,
  ident: (name) => `\`${name.replace(/`/g, '``')}\``,
  concat: (parts) => `CONCAT(${parts.join(', ')})`,
  concatNonNull: (parts) => `CONCAT(${parts.join(', ')})`,
  coalesce: (a, b) => `COALESCE(${a}, ${b})`,
  replace: (e, from, to) => `REPLACE(${e}, ${mysqlLiteral(from)}, ${mysqlLiteral(to)})`,
  md5: (e) => `MD5(${e})`,
  countOver: (e) => `COUNT(*) OVER (PARTITION BY ${e})`,
  intDiv: (a, b) => `((${a}) DIV ${b})`,
  byteOrder: (e) => `CAST(${e} AS BINARY)`,
  textType: 'CHAR',
  hexToInt: (e) => `CAST(CONV(${e}, 16, 10) AS UNSIGNED)`,
  inIntegers: (e, values) => inConstantList(e, values.map(integer)),
  inTexts: (e, values) => inConstantList(e, values.map(mysqlLiteral)),
  digestsFirst: false,
  concurrentReads: false,
  escapeField: (e) => `REPLACE(REPLACE(${e}, ${mysqlLiteral('\\')}, ${mysqlLiteral('\\\\')}), '|', ${mysqlLiteral('\\|')})`,
  csvField: (e) => plainCsvField(mysql, e),
  copyTextField: (e) => plainCopyTextField(mysql, e),
  canonicalText(type, e, scale) {
    switch (type) {
      case 'string':
        return `CAST(${e} AS CHAR)`;
      case 'integer':
        return `CAST(${e} AS CHAR)`;
      case 'number': {
        const x = `CAST(${e} AS DOUBLE)`;
        const rare = `REGEXP_REPLACE(REGEXP_REPLACE(CAST(CAST(${x} AS DECIMAL(38, ${scale})) AS CHAR), '0+$', ''), ${mysqlLiteral('\\.$')}, '')`;
        return numberCase(e, x, `CAST(${x} AS CHAR)`, rare);
      }
      case 'boolean':
        return `CASE WHEN ${e} THEN 'true' WHEN NOT ${e} THEN 'false' END`;
      case 'date':
        return `DATE_FORMAT(${e}, '%Y-%m-%d')`;
      case 'timestamp':
        return `DATE_FORMAT(${e}, '%Y-%m-%dT%H:%i:%s.%fZ')`;
      case 'json':
      case 'string_array':
        return `CAST(${e} AS CHAR)`;
    }
  },
};

export function dialectSql(dialect: HashDialect): DialectSql {
  return dialect === 'duckdb' ? duckdb : dialect === 'postgres' ? postgres : mysql;
}

/**
 * SQL the engine runs on the warehouse around a path's compiled plan SQL.
 *
 * Each query returns ONE column, `l`: a ready-made CSV line for PostgreSQL's
 * COPY, so rows cross from the warehouse into staging without per-value work
 * in Node. Hashes and canonical payloads are computed by the warehouse
 * (hash.ts), duplicates are found with window counts, and NULL keys/match
 * values are flagged.
 *
 *   keys query     run_target_id, record_key, match_value, content_hash, invalid, payload, label, op, batch_no
 *                  (match value … batch_no only for a first sync)
 *   payload query  record_key, match_value, content_hash, payload
 */
import { RECORD_KEY_COLUMN, type TPlanPath } from '../compile/plan';
import { fieldsSignature, sqlCanonicalString, sqlCanonicalText, sqlContentHash } from './hash';
import { dialectSql, type HashDialect } from './sql-dialect';

function csv(d: ReturnType<typeof dialectSql>, expr: string): string {
  // NULL → empty unquoted field, which COPY … (FORMAT csv) reads as NULL.
  return d.coalesce(d.concat([d.literal('"'), d.replace(expr, '"', '""'), d.literal('"')]), d.literal(''));
}

function inner(dialect: HashDialect, path: TPlanPath): string {
  const d = dialectSql(dialect);
  const matchIndex = path.fields.findIndex((f) => f.name === path.matchField);
  if (matchIndex < 0) throw new Error(`plan path ${path.id}: match field ${path.matchField} is not among the mapped fields`);
  const match = path.fields[matchIndex]!;
  const p = (name: string) => `bf_p.${d.ident(name)}`;
  const canonical = sqlCanonicalString(
    dialect,
    path.fields.map((f) => ({ type: f.type, expr: p(f.name) })),
  );
  const signature = fieldsSignature(path.fields);
  return `SELECT ${p(RECORD_KEY_COLUMN)} AS bf_k, ${sqlCanonicalText(dialect, match.type, p(match.name))} AS bf_m, ${canonical} AS bf_c, ${sqlContentHash(dialect, signature, canonical)} AS bf_h
FROM (${path.sql}) bf_p`;
}

/**
 * Groups CSV lines into a few thousand newline-joined strings in the warehouse,
 * so Node handles thousands of values instead of millions (DuckDB, PostgreSQL).
 * MySQL's GROUP_CONCAT is capped by group_concat_max_len, so lines stay single.
 */
const LINE_GROUPS = 4096;

function aggregateLines(dialect: HashDialect, lineSql: string, from: string): string {
  if (dialect === 'mysql') return `SELECT ${lineSql} AS l FROM ${from}`;
  const group = dialect === 'duckdb' ? `hash(bf_k) % ${LINE_GROUPS}` : `abs(hashtext(coalesce(bf_k, ''))) % ${LINE_GROUPS}`;
  return `SELECT string_agg(l, chr(10)) AS l FROM (SELECT ${lineSql} AS l, ${group} AS bf_g FROM ${from}) bf_lines GROUP BY bf_g`;
}

function invalidFlag(d: ReturnType<typeof dialectSql>): string {
  return `CASE WHEN bf_k IS NULL THEN 'null_key' WHEN bf_m IS NULL THEN 'null_match' WHEN bf_kd > 1 THEN 'duplicate_key' WHEN bf_md > 1 THEN 'duplicate_match' ELSE ${d.literal('')} END`;
}

/** How a first sync labels rows in the warehouse (everything valid is new). */
export type FirstSync = { op: string; batchSize: number };

/**
 * All rows: key, hash and invalid flag. For a first sync (`first` given, nothing
 * committed yet) also the match value, payload, label 'added', operation and
 * batch number, so staging needs no follow-up UPDATE of every row.
 */
export function keysQuery(dialect: HashDialect, path: TPlanPath, runTargetId: string, first: FirstSync | null): string {
  const d = dialectSql(dialect);
  const valid = `(bf_inv = ${d.literal('')})`;
  const cols = [
    d.literal(`${runTargetId},`),
    csv(d, 'bf_k'),
    d.literal(','),
    first ? csv(d, 'bf_m') : d.literal(''),
    d.literal(','),
    'bf_h',
    d.literal(','),
    'bf_inv',
    d.literal(','),
    first ? csv(d, 'bf_c') : d.literal(''),
    d.literal(','),
    first ? `CASE WHEN ${valid} THEN ${d.literal('added')} ELSE ${d.literal('')} END` : d.literal(''),
    d.literal(','),
    first ? `CASE WHEN ${valid} THEN ${d.literal(first.op)} ELSE ${d.literal('')} END` : d.literal(''),
    d.literal(','),
    first
      ? `CASE WHEN ${valid} THEN CAST(${d.intDiv(`ROW_NUMBER() OVER (PARTITION BY ${valid} ORDER BY bf_k) - 1`, first.batchSize)} AS ${d.textType}) ELSE ${d.literal('')} END`
      : d.literal(''),
  ];
  return aggregateLines(
    dialect,
    d.concat(cols),
    `(
SELECT bf_k, bf_m, bf_c, bf_h, ${invalidFlag(d)} AS bf_inv FROM (
SELECT bf_k, bf_m, bf_c, bf_h, ${d.countOver('bf_k')} AS bf_kd, ${d.countOver('bf_m')} AS bf_md FROM (
${inner(dialect, path)}
) bf_i
) bf_w
) bf_v`,
  );
}

/** Payload rows for the given record keys (a second pass for rows that changed). */
export function payloadQuery(dialect: HashDialect, path: TPlanPath, keys: readonly string[]): string {
  const d = dialectSql(dialect);
  const list = keys.map((k) => d.literal(k)).join(', ');
  const cols = [csv(d, 'bf_k'), d.literal(','), csv(d, 'bf_m'), d.literal(','), 'bf_h', d.literal(','), csv(d, 'bf_c')];
  return aggregateLines(dialect, d.concat(cols), `(SELECT * FROM (
${inner(dialect, path)}
) bf_f WHERE bf_k IN (${list})) bf_i`);
}

/** Typed rows for sources whose dialect cannot hash in SQL (hashed in Node instead). */
export function typedRowsQuery(path: TPlanPath): string {
  return `SELECT * FROM (${path.sql}) bf_p`;
}

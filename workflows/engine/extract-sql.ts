/**
 * SQL the engine runs on the warehouse around a path's compiled plan SQL.
 *
 * Each query returns ONE column, `l`: a ready-made CSV line for PostgreSQL's
 * COPY, so rows cross from the warehouse into staging without per-value work
 * in Node. The warehouse computes keys, canonical payloads and content hashes
 * (hash.ts), and which keys and match values several rows share (a GROUP BY
 * on that one column, without payloads). The keys query is otherwise a plain
 * projection that streams; the merge query sorts by key, which the warehouse
 * does out of core.
 *
 * Shared values are usually few, so the engine asks for them first
 * (sharedValuesQuery) and inlines a short list into the main query. Only a
 * long list is found inside the main query, by a join. PostgreSQL runs the
 * separate GROUP BY once, in parallel; inside a parallel query each worker
 * computed the whole GROUP BY again.
 *
 *   keys query     invalid, record_key, match_value, content_hash[, payload]
 *                  (payload only for a first sync, where every row is new)
 *   digest query   per key bucket: valid rows, invalid rows, sum of row digests
 *                  (buckets.ts), so an incremental run merges only the buckets
 *                  that differ from the committed state
 *   merge query    flag, content_hash[, row digest], record_key, sorted by key
 *                  bytes (an incremental run's streaming merge, merge.ts),
 *                  optionally only the rows of some buckets
 *   payload query  record_key, match_value, content_hash, key bucket, row digest, payload
 *   shared values  each key or match value that several rows share
 */
import { RECORD_KEY_COLUMN, type TPlanPath } from '../compile/plan';
import { KEY_BUCKET_BITS, sqlBucketOf, sqlKeyBucket, sqlRowDigest, type BucketChunk } from './buckets';
import { createHash } from 'node:crypto';
import { fieldsSignature, sqlCanonicalString, sqlCanonicalText, sqlContentHash } from './hash';
import { dialectSql, type HashDialect } from './sql-dialect';

/** A number as text, NULL → '' (an empty CSV field, which COPY reads as NULL). */
function numberField(d: ReturnType<typeof dialectSql>, expr: string): string {
  return d.coalesce(`CAST(${expr} AS ${d.textType})`, d.literal(''));
}

/** The column computedOnce adds: the canonical payload, which bf_c and bf_h both use. */
const CANONICAL_COLUMN = '__bf_canonical';

/**
 * `source` replaces the path's rows (the payload query passes them pre-filtered by key).
 * `payloads`: whether the query uses bf_c or bf_h; only then is the canonical
 * payload computed ahead of them (DialectSql.computedOnce), since a column
 * computed there is computed whether used or not.
 */
function inner(dialect: HashDialect, path: TPlanPath, source = `(${path.sql}) bf_p`, payloads = true): string {
  const d = dialectSql(dialect);
  const match = path.fields.find((f) => f.name === path.matchField);
  if (!match) throw new Error(`plan path ${path.id}: match field ${path.matchField} is not among the mapped fields`);
  const p = (name: string) => `bf_p.${d.ident(name)}`;
  const computed = sqlCanonicalString(
    dialect,
    path.fields.map((f) => ({ type: f.type, expr: p(f.name) })),
  );
  const once = payloads && d.computedOnce;
  const canonical = once ? p(CANONICAL_COLUMN) : computed;
  const rows = once ? once(source, computed, d.ident(CANONICAL_COLUMN)) : source;
  const signature = fieldsSignature(path.fields);
  // NULL for a NULL key, like the md5 digest: such a row has no bucket either.
  const key = p(RECORD_KEY_COLUMN);
  const native = d.rowHash ? `, CASE WHEN ${key} IS NOT NULL THEN ${d.rowHash(digestSalt(signature), key, path.fields.map((f) => ({ type: f.type, expr: p(f.name) })))} END AS bf_d` : '';
  return `SELECT ${p(RECORD_KEY_COLUMN)} AS bf_k, ${sqlCanonicalText(dialect, match.type, p(match.name))} AS bf_m, ${canonical} AS bf_c, ${sqlContentHash(dialect, signature, canonical)} AS bf_h${native}
FROM ${rows}`;
}

/** Which row digests a dialect computes; a new one means every committed digest differs once (see refreshing in merge.ts). */
const NATIVE_DIGEST_VERSION = 'bf-row-digest-1';

/**
 * The native row digest's first argument: a change of the field list, of a
 * type or of a NULL rule changes every content hash, so it changes every
 * digest too, though the column values stay the same.
 */
function digestSalt(signature: string): string {
  return `${NATIVE_DIGEST_VERSION}:${createHash('md5').update(signature).digest('hex')}`;
}

/**
 * A row's digest (buckets.ts) over inner()'s columns: the dialect's native
 * hash of the key and the mapped columns where it has one (computed in
 * inner() as bf_d), else the md5 of key and content hash, which Node and
 * PostgreSQL can compute too.
 */
function rowDigestOf(dialect: HashDialect): string {
  return dialectSql(dialect).rowHash ? 'bf_d' : sqlRowDigest(dialect, 'bf_k', 'bf_h');
}

/**
 * A key's bucket (buckets.ts): with native digests the dialect's own hash of
 * the key (its top KEY_BUCKET_BITS of 60), else the first bits of md5(key),
 * which Node and PostgreSQL compute too.
 */
export function sqlBucketOfKey(dialect: HashDialect, key: string): string {
  const d = dialectSql(dialect);
  // NULL for a NULL key, as md5 gives.
  if (!d.rowHash) return sqlKeyBucket(dialect, key);
  const hash = d.keyHash ? d.keyHash(NATIVE_BUCKET_SALT, key) : d.rowHash(NATIVE_BUCKET_SALT, key, []);
  return `CASE WHEN ${key} IS NOT NULL THEN (${hash} >> ${60 - KEY_BUCKET_BITS}) END`;
}

const NATIVE_BUCKET_SALT = 'bf-key-bucket-1';

/** Whether the dialect's row digests are its own (DialectSql.rowHash), so only it can compute them. */
export function nativeDigests(dialect: HashDialect): boolean {
  return dialectSql(dialect).rowHash !== undefined;
}

/** The columns of a keys-query line, after the run target id Node adds in front. */
export const STAGING_LINE_COLUMNS = ['invalid', 'record_key', 'match_value', 'content_hash', 'key_bucket', 'state_digest', 'payload'] as const;

/**
 * Keys and match values that several rows share, found by a GROUP BY on that
 * column alone: the warehouse computes it without the payload or the hash.
 */
function shared(dialect: HashDialect, path: TPlanPath, column: 'key' | 'match'): string {
  const d = dialectSql(dialect);
  const p = (name: string) => `bf_p.${d.ident(name)}`;
  const match = path.fields.find((f) => f.name === path.matchField)!;
  const expr = column === 'key' ? p(RECORD_KEY_COLUMN) : sqlCanonicalText(dialect, match.type, p(match.name));
  const values = `(SELECT ${expr} AS v FROM (${path.sql}) bf_p)`;
  if (!d.hash64) return `SELECT bf_d.v FROM ${values} bf_d WHERE bf_d.v IS NOT NULL GROUP BY bf_d.v HAVING count(*) > 1`;
  // Grouping every row by a 64-bit hash of the value, not by the text, takes
  // a fraction of the memory; only values whose hash repeats (shared ones, and
  // the odd collision) are then grouped by text.
  return `SELECT bf_d.v FROM ${values} bf_d
    WHERE bf_d.v IS NOT NULL AND ${d.hash64('bf_d.v')} IN (
      SELECT ${d.hash64('bf_h.v')} FROM ${values} bf_h WHERE bf_h.v IS NOT NULL GROUP BY 1 HAVING count(*) > 1)
    GROUP BY bf_d.v HAVING count(*) > 1`;
}

/** At most this many shared values are inlined into a query; more are joined. */
export const INLINE_SHARED_MAX = 1_000;

/**
 * Shared values the engine read beforehand (sharedValuesQuery), per column:
 * a list to inline, or null to find them with a join inside the query.
 */
export type KnownShared = { key: readonly string[] | null; match: readonly string[] | null };

export const FIND_SHARED: KnownShared = { key: null, match: null };

/** Each key or match value that several rows share, as column `l`. */
export function sharedValuesQuery(dialect: HashDialect, path: TPlanPath, column: 'key' | 'match'): string {
  return `SELECT bf_s.v AS l FROM (${shared(dialect, path, column)}) bf_s`;
}

const SHARED = { key: { alias: 'bf_dk', column: 'bf_k' }, match: { alias: 'bf_dm', column: 'bf_m' } } as const;

/** SQL that is true when the row's key (or match value) is shared: a list test, or the join's column. */
function isShared(d: ReturnType<typeof dialectSql>, column: 'key' | 'match', known: KnownShared): string {
  const values = known[column];
  const { alias, column: expr } = SHARED[column];
  if (values === null) return `${alias}.v IS NOT NULL`;
  return values.length === 0 ? '1 = 0' : `${expr} IN (${values.map((v) => d.literal(v)).join(', ')})`;
}

/**
 * Validity of a row: NULL key or match value, or a key or match value shared
 * with another row (none of those rows is sent). Empty when valid.
 */
function validity(d: ReturnType<typeof dialectSql>, known: KnownShared): string {
  return `CASE WHEN bf_k IS NULL THEN 'null_key' WHEN bf_m IS NULL THEN 'null_match'
    WHEN ${isShared(d, 'key', known)} THEN 'duplicate_key' WHEN ${isShared(d, 'match', known)} THEN 'duplicate_match' ELSE ${d.literal('')} END`;
}

/**
 * LEFT JOINs to the shared keys (bf_dk) and match values (bf_dm) that are not
 * known beforehand. A join, not `IN (subquery)`: PostgreSQL runs an IN
 * subquery that exceeds work_mem once per outer row, and a hash join spills
 * gracefully instead.
 */
function sharedJoins(dialect: HashDialect, path: TPlanPath, which: readonly ('key' | 'match')[], known: KnownShared): string {
  return which
    .filter((w) => known[w] === null)
    .map((w) => `LEFT JOIN (${shared(dialect, path, w)}) ${SHARED[w].alias} ON ${SHARED[w].alias}.v = bf_i.${SHARED[w].column}`)
    .join('\n');
}

/** The CSV fields key, match value, content hash, key bucket and row digest of inner()'s row (keys and payload queries). */
function rowFields(dialect: HashDialect): string[] {
  const d = dialectSql(dialect);
  const comma = d.literal(',');
  return [d.csvField('bf_k'), comma, d.csvField('bf_m'), comma, 'bf_h', comma, numberField(d, sqlBucketOfKey(dialect, 'bf_k')), comma, numberField(d, rowDigestOf(dialect))];
}

/**
 * All rows: validity, key, match value, hash, the key's bucket and the row
 * digest (buckets.ts, which the commit copies into sync_state: the warehouse
 * hashes in parallel, where PostgreSQL would hash once per row inside every
 * commit); with `withPayload` also the canonical payload. Columns in
 * STAGING_LINE_COLUMNS order; the flag comes first so Node can tell a valid
 * row (the line starts with ",") without parsing it. Node prefixes the run
 * target id and appends first-sync labels.
 */
export function keysQuery(dialect: HashDialect, path: TPlanPath, withPayload: boolean, known: KnownShared = FIND_SHARED): string {
  const d = dialectSql(dialect);
  const cols = [validity(d, known), d.literal(','), ...rowFields(dialect), d.literal(','), withPayload ? d.csvField('bf_c') : d.literal('')];
  return `SELECT ${d.concatNonNull(cols)} AS l FROM (
${inner(dialect, path)}
) bf_i
${sharedJoins(dialect, path, ['key', 'match'], known)}`;
}

/** The buckets one merge query of an incremental run reads (buckets.ts mergeChunks), or null for every row. */
export type BucketFilter = BucketChunk | null;

/** A `WHERE` over bf_f keeping rows with a key in one of the buckets, and with `nullKeys` rows with a NULL key. */
function bucketWhere(dialect: HashDialect, filter: BucketChunk): string {
  const d = dialectSql(dialect);
  const key = `bf_f.${d.ident(RECORD_KEY_COLUMN)}`;
  const nullKey = filter.nullKeys ? `${key} IS NULL` : null;
  if (filter.dirty.length === 0) return nullKey ?? '1 = 0';
  const inBuckets = d.inIntegers(sqlBucketOf(sqlBucketOfKey(dialect, key), filter.bits), filter.dirty);
  return nullKey ? `${nullKey} OR ${inBuckets}` : inBuckets;
}

/**
 * Incremental runs, first look: per bucket of the key (buckets.ts), as
 * `<bucket>:<valid rows>:<invalid rows>:<sum of row digests>`, by bucket. Rows with a
 * NULL key have no bucket; the merge query always reads them.
 */
export function digestQuery(dialect: HashDialect, path: TPlanPath, bits: number, knownMatches: readonly string[] | null = null): string {
  const d = dialectSql(dialect);
  const known: KnownShared = { key: [], match: knownMatches };
  const valid = `bf_m IS NOT NULL AND NOT (${isShared(d, 'match', known)})`;
  const text = (e: string) => `CAST(${e} AS ${d.textType})`;
  // Each row's bucket, validity and digest, then the sums per bucket; where
  // the dialect sorts for the grouping, these three columns are what it sorts
  // (DialectSql.sortBeforeGrouping). A validity that is not true (false or
  // NULL) counts the row as invalid. b is never NULL (rows with a NULL key
  // are left out), nor are the sums.
  return `SELECT ${d.concatNonNull([text('bf_g.b'), d.literal(':'), text('bf_g.n'), d.literal(':'), text('bf_g.t'), d.literal(':'), text('bf_g.s')])} AS l FROM (
SELECT bf_r.b,
  sum(CASE WHEN bf_r.v THEN 1 ELSE 0 END) AS n,
  sum(CASE WHEN bf_r.v THEN 0 ELSE 1 END) AS t,
  COALESCE(sum(CASE WHEN bf_r.v THEN bf_r.d END), 0) AS s
FROM (
SELECT ${sqlBucketOf(sqlBucketOfKey(dialect, 'bf_k'), bits)} AS b, (${valid}) AS v, ${rowDigestOf(dialect)} AS d
FROM (
${inner(dialect, path, undefined, !d.rowHash)}
) bf_i
${sharedJoins(dialect, path, ['match'], known)}
WHERE bf_k IS NOT NULL${d.sortBeforeGrouping ? '\nORDER BY 1' : ''}
) bf_r
GROUP BY 1
) bf_g
ORDER BY bf_g.b`;
}

/**
 * Incremental runs: every row as `<flag><content hash>:<record key>`, ordered by
 * the key's bytes so merge.ts can walk it beside the committed sync state; with
 * native row digests (nativeDigests) `<flag><content hash>:<bucket>/<row digest>:<record key>`,
 * so the merge can refresh a committed bucket and digest that differ from the warehouse's.
 *   flag  '0' valid · 'k' NULL key · 'm' NULL match value · 'M' match value
 *         shared with another row (found by a GROUP BY on the match value alone,
 *         which the warehouse computes without the payload or the hash)
 * Rows sharing a key are adjacent in key order; merge.ts flags those.
 * With `buckets`, only rows with a NULL key or a key in those buckets: the
 * filter applies before the warehouse encodes and hashes the rows.
 * With `payloads`, each line also carries the match value and the canonical
 * payload, escaped (DialectSql.copyTextField), before the key:
 * `<flag><hash>[:<digest>]:<match>\t<payload>\t<key>`. The merge stages them
 * with the rows that changed, so no second pass fetches them; worth it when
 * the buckets leave few rows to ship.
 */
export function mergeQuery(
  dialect: HashDialect,
  path: TPlanPath,
  knownMatches: readonly string[] | null = null,
  buckets: BucketFilter = null,
  payloads = false,
): string {
  const d = dialectSql(dialect);
  // Shared keys are adjacent in key order: merge.ts finds them, so only match values are looked up.
  const known: KnownShared = { key: [], match: knownMatches };
  const flag = `CASE WHEN bf_k IS NULL THEN 'k' WHEN bf_m IS NULL THEN 'm' WHEN ${isShared(d, 'match', known)} THEN 'M' ELSE '0' END`;
  const source = buckets ? `(SELECT bf_f.* FROM (${path.sql}) bf_f WHERE ${bucketWhere(dialect, buckets)}) bf_p` : undefined;
  // With native digests the bucket is the warehouse's too: both go in one token, `<bucket>/<digest>`.
  const digest = d.rowHash
    ? [d.literal(':'), d.coalesce(d.concat([`CAST(${sqlBucketOfKey(dialect, 'bf_k')} AS ${d.textType})`, d.literal('/'), `CAST(bf_d AS ${d.textType})`]), d.literal(''))]
    : [];
  const tab = d.literal('\t');
  const withPayload = payloads ? [d.copyTextField('bf_m'), tab, d.copyTextField('bf_c'), tab] : [];
  return `SELECT ${d.concatNonNull([flag, 'bf_h', ...digest, d.literal(':'), ...withPayload, d.coalesce('bf_k', d.literal(''))])} AS l FROM (
${inner(dialect, path, source)}
) bf_i
${sharedJoins(dialect, path, ['match'], known)}
ORDER BY ${d.byteOrder('bf_k')}`;
}

/** Payload rows for the given record keys (a second pass for rows that changed). */
export function payloadQuery(dialect: HashDialect, path: TPlanPath, keys: readonly string[]): string {
  const d = dialectSql(dialect);
  const cols = [...rowFields(dialect), d.literal(','), d.csvField('bf_c')];
  // Keys filter the rows first, so the warehouse encodes and hashes only those.
  const filter = keys.length ? d.inTexts(`bf_f.${d.ident(RECORD_KEY_COLUMN)}`, keys) : '1 = 0';
  return `SELECT ${d.concatNonNull(cols)} AS l FROM (
${inner(dialect, path, `(SELECT bf_f.* FROM (${path.sql}) bf_f WHERE ${filter}) bf_p`)}
) bf_i`;
}

/** Typed rows for sources whose dialect cannot hash in SQL (hashed in Node instead). */
export function typedRowsQuery(path: TPlanPath): string {
  return `SELECT * FROM (${path.sql}) bf_p`;
}

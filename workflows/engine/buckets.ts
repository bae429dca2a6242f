/**
 * Bucket digests: which keys an incremental run must look at.
 *
 * Every record key falls in a bucket of 20 bits, and a bucket's digest is its
 * row count and the sum of its rows' row digests, a 60-bit hash of the row.
 * Where the warehouse has a fast hash of its own (DialectSql.rowHash, DuckDB),
 * both come from it (extract-sql.ts sqlBucketOfKey): the bucket from the key,
 * the digest from the key and the mapped columns' values as the warehouse
 * holds them, salted with the field list. Elsewhere the bucket is the first
 * 20 bits of md5(key) and the digest the md5 of (key, content hash), which
 * costs the warehouse the canonical text and two md5s a row. The warehouse computes the digests of
 * its rows in one GROUP BY; sync_state keeps each committed row's bucket and
 * row digest (written by commit.ts), so PostgreSQL sums them without hashing.
 * A bucket whose digests agree holds the same keys with the same hashes on
 * both sides: its rows are unchanged, and the merge (merge.ts) skips them. Only
 * the rows of the other buckets are sorted, shipped and merged by key.
 *
 * With about ROWS_PER_BUCKET committed rows a bucket, a run where 1% of the
 * rows changed merges about 8% of them. A bucket also differs when it holds an
 * invalid row (a NULL or shared match value), so those rows are merged and
 * reported as before. Two different sets of rows agree only if their 60-bit
 * sums collide: about one chance in 10^18 for each bucket that changed.
 *
 * Node, DuckDB, PostgreSQL and MySQL compute the same buckets and md5 row
 * digests: golden tests prove it for the warehouses
 * (test/workflows/engine/extract-sql.test.ts) and for sync_state and its
 * migration (test/workflows/engine/buckets.test.ts). Native buckets and row
 * digests only their warehouse computes: the merge and payload queries return
 * them with the payload, so the commit stores those of the row it sent, and
 * the merge replaces committed ones that are not the warehouse's (merge.ts,
 * `digests`).
 */
import { createHash } from 'node:crypto';
import { Cursor } from './cursor';
import { EngineError } from './target';
import { dialectSql, type HashDialect } from './sql-dialect';

/** Bits of md5(key) stored as the key's bucket (sync_state.key_bucket). */
export const KEY_BUCKET_BITS = 20;
const KEY_BUCKET_HEX = KEY_BUCKET_BITS / 4;
/** Bits of md5(key ":" content hash) in a row digest (sync_state.state_digest). */
const ROW_DIGEST_HEX = 15;
/** Committed rows per bucket the run aims for: fewer buckets to compare, against fewer rows to merge. */
export const ROWS_PER_BUCKET = 8;
/** Above this share of differing buckets the merge reads every row: a filter would save little. */
export const MAX_DIRTY_SHARE = 0.5;

const md5 = (s: string) => createHash('md5').update(s, 'utf8').digest('hex');

/** The key's bucket at full resolution (KEY_BUCKET_BITS). */
export function keyBucket(key: string): number {
  return Number.parseInt(md5(key).slice(0, KEY_BUCKET_HEX), 16);
}

/** The row digest of a key and its content hash. */
export function rowDigest(key: string, contentHash: string): bigint {
  return BigInt(`0x${md5(`${key}:${contentHash}`).slice(0, ROW_DIGEST_HEX)}`);
}

/** SQL for keyBucket(key) of a text expression. */
export function sqlKeyBucket(dialect: HashDialect, key: string): string {
  const d = dialectSql(dialect);
  return d.hexToInt(`substr(${d.md5(key)}, 1, ${KEY_BUCKET_HEX})`, KEY_BUCKET_HEX);
}

/** SQL for rowDigest(key, contentHash) of two text expressions. */
export function sqlRowDigest(dialect: HashDialect, key: string, contentHash: string): string {
  const d = dialectSql(dialect);
  return d.hexToInt(`substr(${d.md5(d.concat([key, d.literal(':'), contentHash]))}, 1, ${ROW_DIGEST_HEX})`, ROW_DIGEST_HEX);
}

/**
 * About how many rows a sync target has committed after a run with these
 * counts: the rows it left valid in the warehouse. The next run sizes its
 * buckets by it (extract.ts), and finalize groups the bucket summary alike
 * (bucket-summary.ts).
 */
export function committedEstimate(c: { queried: number; removed: number; invalid: number }): number {
  return Math.max(0, c.queried - c.removed - c.invalid);
}

/** How many of a bucket's bits a run groups by, for this many committed rows. */
export function bucketBits(committedRows: number): number {
  const bits = Math.round(Math.log2(Math.max(committedRows, 1) / ROWS_PER_BUCKET));
  return Math.min(KEY_BUCKET_BITS, Math.max(0, bits));
}

/** SQL grouping a full-resolution bucket expression into 2^bits buckets. */
export function sqlBucketOf(bucketExpr: string, bits: number): string {
  return `(${bucketExpr} >> ${KEY_BUCKET_BITS - bits})`;
}

/** A bucket's digest on one side: valid rows, their digest sum, rows that make it differ regardless. */
type Digest = { bucket: number; rows: number; sum: string; tainted: number };

/**
 * The number written in l[from, to) with decimal digits only, or -1 when that
 * is empty or holds anything else. For counts and buckets (below 2^53).
 */
function digitsAt(l: string, from: number, to: number): number {
  if (to <= from) return -1;
  let n = 0;
  for (let i = from; i < to; i++) {
    const c = l.charCodeAt(i) - 48;
    if (c < 0 || c > 9) return -1;
    n = n * 10 + c;
  }
  return n;
}

/** Whether l from `from` on is one or more decimal digits. */
function allDigits(l: string, from: number): boolean {
  if (from >= l.length) return false;
  for (let i = from; i < l.length; i++) {
    const c = l.charCodeAt(i);
    if (c < 48 || c > 57) return false;
  }
  return true;
}

/**
 * A digest line, `bucket:rows:tainted:sum` (extract-sql.ts digestQuery,
 * merge.ts committedDigests), or null for committed rows without a bucket.
 * Read by position, not split and matched: a run reads two lines per bucket,
 * over a hundred thousand each side at a million rows.
 */
export function parseDigestLine(l: string): Digest | null {
  if (l.startsWith('none:')) return null;
  const a = l.indexOf(':');
  const b = l.indexOf(':', a + 1);
  const c = a < 0 || b < 0 ? -1 : l.indexOf(':', b + 1);
  const bucket = digitsAt(l, 0, a);
  const rows = digitsAt(l, a + 1, b);
  const tainted = digitsAt(l, b + 1, c);
  // The sum may exceed 2^53: it stays text, checked to be digits only.
  if (c < 0 || bucket < 0 || rows < 0 || tainted < 0 || !allDigits(l, c + 1)) {
    throw new EngineError(`buckets: malformed digest line ${JSON.stringify(l.slice(0, 80))} — this is a bug; report it`);
  }
  return { bucket, rows, sum: l.slice(c + 1), tainted };
}

export type BucketPlan = {
  bits: number;
  /** Buckets whose rows the merge must read, ascending. */
  dirty: number[];
  /** The warehouse's rows in each of `dirty` (0 where only committed rows are). */
  dirtyRows: number[];
  /** Rows in the other buckets: extracted and unchanged. */
  cleanRows: number;
};

/** Buckets one merge query reads (extract-sql.ts mergeQuery), and whether it reads the rows with a NULL key too. */
export type BucketChunk = { bits: number; dirty: readonly number[]; nullKeys: boolean };

/**
 * About how many warehouse rows one merge query sorts at most (mergeChunks).
 * The warehouse sorts them with their payloads: at 5M rows one query over
 * every differing bucket (~430k rows) took DuckDB ~220 MB beyond its idle
 * memory at a 128 MB memory limit, and ran out of memory at 64 MB.
 */
export const MERGE_ROWS_PER_QUERY = 100_000;

/**
 * The plan's buckets in consecutive groups of at most `rowsPerQuery`
 * warehouse rows (a bucket that alone holds more is a group of its own), one
 * merge query each, so the warehouse's sort stays the same size whatever the
 * row count. Keys, and so rows sharing a key, never span two buckets. Only
 * the first group reads the rows with a NULL key, which have no bucket.
 */
export function mergeChunks(plan: BucketPlan, rowsPerQuery: number = MERGE_ROWS_PER_QUERY): BucketChunk[] {
  const chunks: BucketChunk[] = [];
  let dirty: number[] = [];
  let rows = 0;
  const close = () => {
    chunks.push({ bits: plan.bits, dirty, nullKeys: chunks.length === 0 });
    dirty = [];
    rows = 0;
  };
  plan.dirty.forEach((bucket, i) => {
    const n = plan.dirtyRows[i] ?? 0;
    if (dirty.length > 0 && rows + n > rowsPerQuery) close();
    dirty.push(bucket);
    rows += n;
  });
  if (dirty.length > 0 || chunks.length === 0) close();
  return chunks;
}

/**
 * Digests one at a time from batches of lines; 'end' after the last. A
 * promise only when a batch runs out. `committedRows` adds up the rows of
 * committed digests, whose row count takes in their tainted rows (merge.ts
 * committedDigests), unbucketed rows included.
 */
class Digests {
  readonly lines: Cursor<string>;
  rows = 0;
  private last = -1;
  constructor(
    batches: AsyncIterable<readonly string[]>,
    private readonly side: string,
  ) {
    this.lines = new Cursor(batches[Symbol.asyncIterator]());
  }

  next(): Digest | null | 'end' | Promise<Digest | null | 'end'> {
    const l = this.lines.next();
    return l instanceof Promise ? l.then((x) => this.parse(x)) : this.parse(l);
  }

  private parse(l: string | null): Digest | null | 'end' {
    if (l === null) return 'end';
    const d = parseDigestLine(l);
    if (d === null) {
      // Unbucketed committed rows sort last.
      this.rows += Number(l.split(':')[1]);
      this.last = Number.MAX_SAFE_INTEGER;
      return null;
    }
    if (d.bucket <= this.last) throw new EngineError(`buckets: ${this.side} digests are not in bucket order — this is a bug; report it`);
    this.last = d.bucket;
    this.rows += d.rows;
    return d;
  }
}

/**
 * Walks the warehouse's and the committed digests, both ascending by bucket,
 * and lists the buckets that differ. Null when the merge should read every
 * row: too many buckets differ, or committed rows have no bucket.
 */
export async function planBuckets(
  warehouse: AsyncIterable<readonly string[]>,
  committed: AsyncIterable<readonly string[]>,
  bits: number,
  /** Receives the committed side's row count (read to its end whatever the plan). */
  tally: { committedRows: number } = { committedRows: 0 },
): Promise<BucketPlan | null> {
  const w = new Digests(warehouse, 'warehouse');
  const c = new Digests(committed, 'committed');
  const maxDirty = MAX_DIRTY_SHARE * 2 ** bits;
  const dirty: number[] = [];
  const dirtyRows: number[] = [];
  let cleanRows = 0;
  // Both streams are read to their end, which leaves the connections reusable.
  let unbucketed = false;
  try {
    // Awaits only when a batch runs out.
    let v = w.next();
    let wd = v instanceof Promise ? await v : v;
    v = c.next();
    let cd = v instanceof Promise ? await v : v;
    while (wd !== 'end' || cd !== 'end') {
      if (wd === null) throw new EngineError('buckets: the warehouse returned a digest without a bucket — this is a bug; report it');
      let advanceW = false;
      let advanceC = false;
      if (cd === null) {
        // Committed rows without a bucket (they sort last): count them out.
        unbucketed = true;
        advanceC = true;
      } else if (cd === 'end' || (wd !== 'end' && wd.bucket < cd.bucket)) {
        // Only the warehouse has rows here: all added.
        dirty.push((wd as Digest).bucket);
        dirtyRows.push((wd as Digest).rows + (wd as Digest).tainted);
        advanceW = true;
      } else if (wd === 'end' || cd.bucket < wd.bucket) {
        // Only the committed state has rows here: all removed.
        dirty.push(cd.bucket);
        dirtyRows.push(0);
        advanceC = true;
      } else {
        if (wd.tainted === 0 && cd.tainted === 0 && wd.rows === cd.rows && wd.sum === cd.sum) cleanRows += wd.rows;
        else {
          dirty.push(wd.bucket);
          dirtyRows.push(wd.rows + wd.tainted);
        }
        advanceW = advanceC = true;
      }
      if (advanceW) {
        v = w.next();
        wd = v instanceof Promise ? await v : v;
      }
      if (advanceC) {
        v = c.next();
        cd = v instanceof Promise ? await v : v;
      }
    }
    tally.committedRows = c.rows;
    if (unbucketed || dirty.length > maxDirty) return null;
    return { bits, dirty, dirtyRows, cleanRows };
  } finally {
    // After an error: ends both queries.
    await Promise.all([w.lines.close(), c.lines.close()]);
  }
}

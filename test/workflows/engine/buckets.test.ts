/**
 * Bucket digests (workflows/engine/buckets.ts): the plan that tells an
 * incremental run which buckets of keys to merge, PostgreSQL's committed
 * digests, and the migration that backfills buckets for rows committed
 * before they existed. The warehouse side (digestQuery on DuckDB,
 * PostgreSQL and MariaDB) is in extract-sql.test.ts.
 */
import { randomUUID } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { bucketBits, KEY_BUCKET_BITS, keyBucket, mergeChunks, planBuckets, rowDigest, sqlKeyBucket, sqlRowDigest } from '../../../workflows/engine/buckets';
import { committedDigests } from '../../../workflows/engine/merge';
import { MIGRATIONS_DIR } from '../../../prisma/migrate';
import { testPool } from '../../helpers/db';

async function* batches(...lines: string[][]): AsyncGenerator<string[]> {
  for (const b of lines) yield b;
}

async function collect<T>(it: AsyncIterable<T[]>): Promise<T[]> {
  const out: T[] = [];
  for await (const b of it) out.push(...b);
  return out;
}

describe('planBuckets', () => {
  it('merges buckets that differ, are tainted or exist on one side only, and counts the rows of the rest', async () => {
    const plan = await planBuckets(
      // bucket:valid rows:invalid rows:digest sum
      batches(['0:3:0:100', '1:2:0:50'], ['2:4:0:70', '3:1:1:9', '5:1:0:5']),
      batches(['0:3:0:100', '1:2:0:51', '2:3:0:70'], ['3:1:0:9', '4:2:0:8']),
      4,
    );
    // 0 agrees; 1 differs in sum, 2 in count; 3 holds an invalid row; 4 only committed; 5 only in the warehouse.
    // dirtyRows: the warehouse's rows in each, valid and invalid.
    expect(plan).toEqual({ bits: 4, dirty: [1, 2, 3, 4, 5], dirtyRows: [2, 4, 2, 0, 1], cleanRows: 3 });
  });

  it('agrees on everything: nothing to merge', async () => {
    expect(await planBuckets(batches(['0:1:0:7', '1:1:0:8']), batches(['0:1:0:7', '1:1:0:8']), 1)).toEqual({ bits: 1, dirty: [], dirtyRows: [], cleanRows: 2 });
  });

  it('gives up (merge every row) when more than half of the buckets differ', async () => {
    // 2 bits: 4 buckets, so 3 differing is too many and 2 is not.
    expect(await planBuckets(batches(['0:1:0:7', '1:1:0:8', '2:1:0:9', '3:1:0:1']), batches(['0:1:0:7', '1:1:0:0', '2:1:0:0', '3:1:0:0']), 2)).toBeNull();
    expect(await planBuckets(batches(['0:1:0:7', '1:1:0:8', '2:1:0:9']), batches(['0:1:0:7', '1:1:0:0', '2:1:0:0']), 2)).toEqual({ bits: 2, dirty: [1, 2], dirtyRows: [1, 1], cleanRows: 1 });
  });

  it('gives up when committed rows have no bucket, or when a committed row has no digest', async () => {
    expect(await planBuckets(batches(['0:1:0:7']), batches(['0:1:0:7', 'none:1:0:3']), 4)).toBeNull();
    // A missing row digest taints its bucket (committedDigests reports it).
    expect(await planBuckets(batches(['0:1:0:7', '1:1:0:7']), batches(['0:1:1:7', '1:1:0:7']), 4)).toEqual({ bits: 4, dirty: [0], dirtyRows: [1], cleanRows: 1 });
  });

  it('counts the committed rows, tainted and unbucketed ones included, whatever the plan', async () => {
    const tally = { committedRows: -1 };
    // bucket:rows:rows without a digest:sum; 'none' holds rows without a bucket.
    expect(await planBuckets(batches(['0:3:0:100']), batches(['0:3:1:100', '1:2:0:5'], ['none:4:4:0']), 4, tally)).toBeNull();
    expect(tally.committedRows).toBe(9);
    const plain = { committedRows: -1 };
    expect(await planBuckets(batches(['0:3:0:100', '1:2:0:5']), batches(['0:3:0:100', '1:2:0:5']), 4, plain)).toEqual({ bits: 4, dirty: [], dirtyRows: [], cleanRows: 5 });
    expect(plain.committedRows).toBe(5);
  });

  it('refuses digests out of bucket order or malformed', async () => {
    await expect(planBuckets(batches(['1:1:0:7', '0:1:0:7']), batches([]), 4)).rejects.toThrow(/not in bucket order/);
    await expect(planBuckets(batches(['x:1:0:7']), batches([]), 4)).rejects.toThrow(/malformed digest line/);
    for (const bad of ['1:1:0:', '1:1:0', '1::0:7', '1:1:0:7:8', '1:1:0:-5', '1:1:x:7', ':1:0:7', '1:1:0:7 ']) {
      await expect(planBuckets(batches(['0:1:0:7', bad]), batches(['0:1:0:7']), 4), bad).rejects.toThrow(/malformed digest line/);
    }
    // Committed digests after an unbucketed line are out of order too.
    await expect(planBuckets(batches([]), batches(['none:1:0:3', '4:1:0:7']), 4)).rejects.toThrow(/not in bucket order/);
  });

  it('reads every line of batches that arrive one by one or all at once alike', async () => {
    const w = Array.from({ length: 5000 }, (_, b) => `${b}:2:0:${1_000_000_007 * b}`);
    const c = w.map((l, b) => (b % 7 === 0 ? `${b}:2:0:${1_000_000_007 * b + 1}` : l));
    const dirty = w.map((_, b) => b).filter((b) => b % 7 === 0);
    const oneByOne = (lines: string[]) => batches(...lines.map((l) => [l]));
    for (const [wb, cb] of [[batches(w), batches(c)], [oneByOne(w), oneByOne(c)], [batches(w.slice(0, 17), w.slice(17)), oneByOne(c)]] as const) {
      const tally = { committedRows: 0 };
      expect(await planBuckets(wb, cb, 13, tally)).toEqual({ bits: 13, dirty, dirtyRows: dirty.map(() => 2), cleanRows: 2 * (5000 - dirty.length) });
      expect(tally.committedRows).toBe(10000);
    }
  });

  it('sizes buckets to about 8 committed rows, between 1 and 2^20 buckets', () => {
    expect(bucketBits(0)).toBe(0);
    expect(bucketBits(100)).toBe(4);
    expect(bucketBits(1_000_000)).toBe(17);
    expect(bucketBits(1e10)).toBe(KEY_BUCKET_BITS);
  });
});

describe('mergeChunks', () => {
  const plan = (dirty: number[], dirtyRows: number[]) => ({ bits: 6, dirty, dirtyRows, cleanRows: 0 });

  it('groups consecutive buckets up to the row limit; only the first group reads NULL keys', () => {
    expect(mergeChunks(plan([1, 4, 9, 12, 30], [40, 50, 30, 80, 5]), 100)).toEqual([
      { bits: 6, dirty: [1, 4], nullKeys: true },
      { bits: 6, dirty: [9], nullKeys: false },
      { bits: 6, dirty: [12, 30], nullKeys: false },
    ]);
  });

  it('gives a bucket with more rows than the limit a group of its own, and buckets with only committed rows cost nothing', () => {
    expect(mergeChunks(plan([2, 3, 5, 7], [10, 250, 0, 95]), 100)).toEqual([
      { bits: 6, dirty: [2], nullKeys: true },
      { bits: 6, dirty: [3], nullKeys: false },
      { bits: 6, dirty: [5, 7], nullKeys: false },
    ]);
  });

  it('one group when all fit, and a group for the NULL-key rows when no bucket differs', () => {
    expect(mergeChunks(plan([1, 2], [3, 4]))).toEqual([{ bits: 6, dirty: [1, 2], nullKeys: true }]);
    expect(mergeChunks(plan([], []), 100)).toEqual([{ bits: 6, dirty: [], nullKeys: true }]);
  });

  it('covers every bucket once, in order, whatever the limit', () => {
    const dirty = Array.from({ length: 500 }, (_, i) => i * 3);
    const rows = dirty.map((b) => (b * 7919) % 23);
    for (const limit of [1, 10, 57, 1000, 1e9]) {
      const chunks = mergeChunks(plan(dirty, rows), limit);
      expect(chunks.flatMap((c) => c.dirty)).toEqual(dirty);
      expect(chunks.map((c) => c.nullKeys)).toEqual(chunks.map((_, i) => i === 0));
      for (const c of chunks) {
        const n = c.dirty.reduce((sum, b) => sum + rows[dirty.indexOf(b)]!, 0);
        expect(c.dirty.length === 1 || n <= limit).toBe(true);
      }
    }
  });
});

describe('committed digests on PostgreSQL', () => {
  const KEYS = ['a', 'b', 'é', "o'brien", '🙂', '42', ''];

  it('sum the stored row digests per bucket, ascending; rows without a digest taint their bucket, rows without a bucket come last', async () => {
    const pool = testPool();
    const target = `bucket_test_${randomUUID()}`;
    const client = await pool.connect();
    try {
      await client.query('BEGIN');
      // No sync target row: foreign keys are not checked in this transaction.
      await client.query("SET LOCAL session_replication_role = 'replica'");
      for (const k of KEYS) {
        await client.query(
          `INSERT INTO sync_state (sync_target_id, record_key, content_hash, key_bucket, state_digest)
           VALUES ($1, $2, $3, ${sqlKeyBucket('postgres', '$2::text')}, ${sqlRowDigest('postgres', '$2::text', '$3::text')})`,
          [target, k, `h-${k}`],
        );
      }
      const bits = 2;
      const want = new Map<number, { n: number; s: bigint }>();
      for (const k of KEYS) {
        const b = keyBucket(k) >> (KEY_BUCKET_BITS - bits);
        const d = want.get(b) ?? { n: 0, s: 0n };
        want.set(b, { n: d.n + 1, s: d.s + rowDigest(k, `h-${k}`) });
      }
      const expected = [...want.entries()].sort((a, b) => a[0] - b[0]).map(([b, d]) => `${b}:${d.n}:0:${d.s}`);
      expect(await collect(committedDigests(client, target, bits))).toEqual(expected);

      // A row without its digest, and one without its bucket.
      await client.query('UPDATE sync_state SET state_digest = NULL WHERE sync_target_id = $1 AND record_key = $2', [target, 'a']);
      await client.query(`INSERT INTO sync_state (sync_target_id, record_key, content_hash) VALUES ($1, 'by hand', 'h')`, [target]);
      const lines = await collect(committedDigests(client, target, bits));
      const aBucket = keyBucket('a') >> (KEY_BUCKET_BITS - bits);
      expect(lines.find((l) => l.startsWith(`${aBucket}:`))).toMatch(new RegExp(`^${aBucket}:\\d+:1:`));
      expect(lines.at(-1)).toBe('none:1:1:0');
    } finally {
      await client.query('ROLLBACK');
      client.release();
    }
  });

  it('the migration that adds buckets backfills the same values commit.ts writes', async () => {
    const dir = (await readdir(MIGRATIONS_DIR)).find((d) => d.endsWith('_sync_state_buckets'))!;
    const sql = await readFile(path.join(MIGRATIONS_DIR, dir, 'migration.sql'), 'utf8');
    const backfill = sql.slice(sql.indexOf('UPDATE "sync_state"'));
    const client = await testPool().connect();
    const target = `bucket_backfill_${randomUUID()}`;
    try {
      await client.query('BEGIN');
      await client.query("SET LOCAL session_replication_role = 'replica'");
      await client.query(`INSERT INTO sync_state (sync_target_id, record_key, content_hash) SELECT $1, k, 'h-' || k FROM unnest($2::text[]) AS k`, [target, KEYS]);
      // Only this target's rows: the test database holds other tests' state.
      await client.query(`${backfill.replace(/;\s*$/, '')} WHERE sync_target_id = $1`, [target]);
      const rows = await client.query<{ record_key: string; key_bucket: number; state_digest: string }>(
        'SELECT record_key, key_bucket, state_digest FROM sync_state WHERE sync_target_id = $1',
        [target],
      );
      expect(rows.rows).toHaveLength(KEYS.length);
      for (const r of rows.rows) {
        expect(r.key_bucket).toBe(keyBucket(r.record_key));
        expect(r.state_digest).toBe(String(rowDigest(r.record_key, `h-${r.record_key}`)));
      }
    } finally {
      await client.query('ROLLBACK');
      client.release();
    }
  });
});

import { describe, expect, it } from 'vitest';
import { compareKeys, mergeByKey, type CommittedRow, type MergedRow, type MergeOptions, type MergeTally, type StaleDigest } from '../../../workflows/engine/merge';

async function* batches<T>(items: T[], size = 2): AsyncGenerator<T[]> {
  for (let i = 0; i < items.length; i += size) yield items.slice(i, i + size);
}

/** A warehouse line: flag, hash, key (mergeQuery's format). */
const w = (key: string, hash: string, flag = '0') => `${flag}${hash}:${key}`;

async function merge(warehouse: string[], committedPairs: [string, string][], opts: MergeOptions = { detectChanges: true, detectRemovals: true }) {
  const tally: MergeTally = { extracted: 0, unchanged: 0 };
  const committed = committedPairs.map(([k, h]): CommittedRow => [k, h, `ext-${k}`, null]);
  const rows: MergedRow[] = [];
  for await (const b of mergeByKey(batches(warehouse), batches(committed, 3), opts, tally)) rows.push(...b.rows);
  return { rows, tally };
}

describe('compareKeys (UTF-8 byte order)', () => {
  it('orders like a byte-wise sort of the UTF-8 encoding, astral characters included', () => {
    const keys = ['b', 'a', '', 'ab', 'a\u{10000}', 'a\uffff', 'é', 'Z', '10', '9', '\u{1F600}', '\uE000'];
    const byBytes = [...keys].sort((x, y) => Buffer.compare(Buffer.from(x, 'utf8'), Buffer.from(y, 'utf8')));
    expect([...keys].sort(compareKeys)).toEqual(byBytes);
    // JavaScript's own order differs exactly there: U+FFFF sorts after U+10000 in UTF-16.
    expect(['a\u{10000}', 'a\uffff'].sort()).toEqual(['a\u{10000}', 'a\uffff']);
    expect(['a\u{10000}', 'a\uffff'].sort(compareKeys)).toEqual(['a\uffff', 'a\u{10000}']);
  });
});

describe('mergeByKey', () => {
  it('asks both sides for their first rows at once (each sorts before its first row)', async () => {
    let committedAsked!: () => void;
    const asked = new Promise<void>((resolve) => (committedAsked = resolve));
    // The warehouse answers only once the committed side has been asked: a merge
    // that waited for the warehouse's first batch before asking would never end.
    async function* warehouse() {
      const timeout = new Promise<'timeout'>((resolve) => setTimeout(() => resolve('timeout'), 2_000).unref());
      if ((await Promise.race([asked.then(() => 'asked' as const), timeout])) === 'timeout') throw new Error('the committed side was not asked');
      yield [w('a', 'h1'), w('b', 'NEW')];
    }
    async function* committed(): AsyncGenerator<CommittedRow[]> {
      committedAsked();
      yield [
        ['a', 'h1', null, null],
        ['b', 'h2', 'ext-b', null],
      ];
    }
    const tally: MergeTally = { extracted: 0, unchanged: 0 };
    const rows: MergedRow[] = [];
    for await (const b of mergeByKey(warehouse(), committed(), { detectChanges: true, detectRemovals: true }, tally)) rows.push(...b.rows);
    expect(rows).toEqual([{ key: 'b', hash: 'NEW', externalId: 'ext-b', label: 'changed', invalid: null }]);
    expect(tally).toEqual({ extracted: 2, unchanged: 1 });
  });

  it('labels added, changed and removed rows and only counts unchanged ones', async () => {
    const { rows, tally } = await merge(
      [w('a', 'h1'), w('b', 'h2'), w('c', 'NEW'), w('e', 'h5')],
      [
        ['a', 'h1'],
        ['b', 'h2'],
        ['c', 'h3'],
        ['d', 'h4'],
        ['f', 'h6'],
      ],
    );
    expect(rows).toEqual([
      { key: 'c', hash: 'NEW', externalId: 'ext-c', label: 'changed', invalid: null },
      { key: 'd', hash: 'h4', externalId: 'ext-d', label: 'removed', invalid: null },
      { key: 'e', hash: 'h5', externalId: null, label: 'added', invalid: null },
      { key: 'f', hash: 'h6', externalId: 'ext-f', label: 'removed', invalid: null },
    ]);
    expect(tally).toEqual({ extracted: 4, unchanged: 2 });
  });

  it('flags every row of a shared key and the warehouse flags, and never removes their committed key', async () => {
    const { rows, tally } = await merge(
      [w('a', 'x1'), w('a', 'x2'), w('a', 'x3'), w('b', 'h', 'm'), w('c', 'h', 'M'), w('', 'h', 'k')],
      [
        ['a', 'old'],
        ['b', 'h'],
        ['c', 'h'],
      ],
    );
    expect(rows.map((r) => [r.key, r.invalid, r.label])).toEqual([
      ['a', 'duplicate_key', null],
      ['a', 'duplicate_key', null],
      ['a', 'duplicate_key', null],
      ['b', 'null_match', null],
      ['c', 'duplicate_match', null],
      [null, 'null_key', null],
    ]);
    expect(tally).toEqual({ extracted: 6, unchanged: 0 });
  });

  it('follows the sync mode: insert ignores changes, upsert ignores removals', async () => {
    const input = [w('a', 'NEW'), w('b', 'h')];
    const committed: [string, string][] = [
      ['a', 'old'],
      ['z', 'h'],
    ];
    const insert = await merge(input, committed, { detectChanges: false, detectRemovals: false });
    expect(insert.rows).toEqual([{ key: 'b', hash: 'h', externalId: null, label: 'added', invalid: null }]);
    expect(insert.tally.unchanged).toBe(1);
    const upsert = await merge(input, committed, { detectChanges: true, detectRemovals: false });
    expect(upsert.rows.map((r) => r.label)).toEqual(['changed', 'added']);
  });

  it('an empty extract removes every committed key; an empty state adds every row', async () => {
    expect((await merge([], [['a', 'h'], ['b', 'h']])).rows.map((r) => r.label)).toEqual(['removed', 'removed']);
    expect((await merge([w('a', 'h'), w('b', 'h')], [])).rows.map((r) => r.label)).toEqual(['added', 'added']);
  });

  it('refuses a warehouse stream that is not in byte order, naming the cause', async () => {
    // A collation-aware sort puts "B" after "a"; byte order puts it first.
    await expect(merge([w('a', 'h'), w('B', 'h')], [])).rejects.toThrow(/out of order near "B".*collation/);
  });

  it('keeps memory to a batch: a long stream is merged in batches of staged rows', async () => {
    const n = 20_000;
    const keys = Array.from({ length: n }, (_, i) => `k${String(i).padStart(6, '0')}`);
    const tally: MergeTally = { extracted: 0, unchanged: 0 };
    let yielded = 0;
    let largest = 0;
    const gen = mergeByKey(
      batches(keys.map((k) => w(k, 'h')), 1000),
      batches(keys.filter((_, i) => i % 2 === 0).map((k): CommittedRow => [k, 'h', null, null]), 1000),
      { detectChanges: true, detectRemovals: true },
      tally,
    );
    for await (const b of gen) {
      yielded += b.rows.length;
      largest = Math.max(largest, b.rows.length);
    }
    expect(yielded).toBe(n / 2);
    expect(largest).toBeLessThanOrEqual(5_000);
    expect(tally).toEqual({ extracted: n, unchanged: n / 2 });
  });

  it('with digests: yields unchanged rows whose committed digest differs, in batches, and only those', async () => {
    // flag, hash, digest, key; the key may hold colons.
    const wd = (key: string, hash: string, digest: string) => `0${hash}:${digest}:${key}`;
    const n = 12_000;
    const keys = Array.from({ length: n }, (_, i) => `k:${String(i).padStart(6, '0')}`);
    const tally: MergeTally = { extracted: 0, unchanged: 0 };
    const rows: MergedRow[] = [];
    const stale: StaleDigest[] = [];
    let largest = 0;
    // Every third committed digest is stale (or missing); key 1's content changed as well.
    const committed = keys.map((k, i): CommittedRow => [k, i === 1 ? 'old' : 'h', null, i % 3 === 0 ? null : i % 3 === 1 ? 'OLD' : `d${i}`]);
    const gen = mergeByKey(
      batches(keys.map((k, i) => wd(k, 'h', `d${i}`)), 1000),
      batches(committed, 1000),
      { detectChanges: true, detectRemovals: true, digests: true },
      tally,
    );
    for await (const b of gen) {
      rows.push(...b.rows);
      stale.push(...b.stale);
      largest = Math.max(largest, b.stale.length);
    }
    // The changed row is staged (its commit writes the new digest), not refreshed;
    // it carries the committed digest token for the bucket summary.
    expect(rows).toEqual([{ key: 'k:000001', hash: 'h', externalId: null, label: 'changed', invalid: null, committed: 'OLD' }]);
    const want = keys.map((k, i): StaleDigest => [k, 'h', `d${i}`]).filter((_, i) => i !== 1 && i % 3 !== 2);
    expect(stale).toEqual(want);
    expect(largest).toBeLessThanOrEqual(5_000);
    expect(tally).toEqual({ extracted: n, unchanged: n - 1 });
  });

  it('without digests: no row is stale, whatever the committed digest', async () => {
    const tally: MergeTally = { extracted: 0, unchanged: 0 };
    const stale: StaleDigest[] = [];
    const committed: CommittedRow[] = [['a', 'h1', null, 'X']];
    for await (const b of mergeByKey(batches([w('a', 'h1')]), batches(committed), { detectChanges: true, detectRemovals: true }, tally)) stale.push(...b.stale);
    expect(stale).toEqual([]);
    expect(tally).toEqual({ extracted: 1, unchanged: 1 });
  });

  it('with payloads: added and changed rows keep the match value, payload and digest their line carried', async () => {
    const line = (key: string, hash: string, match: string, payload: string) => `0${hash}:d-${key}:${match}\t${payload}\t${key}`;
    const rows: MergedRow[] = [];
    const committed: CommittedRow[] = [
      ['b', 'h2', 'ext-b', 'd-b'],
      ['c', 'h3', null, 'd-c'],
    ];
    const gen = mergeByKey(
      batches([line('a', 'h1', 'a@x', 'A\\tx'), line('b', 'NEW', 'b@x', 'B'), line('c', 'h3', 'c@x', 'C')]),
      batches(committed),
      { detectChanges: true, detectRemovals: true, digests: true, payloads: true },
      { extracted: 0, unchanged: 0 },
    );
    for await (const b of gen) rows.push(...b.rows);
    expect(rows).toEqual([
      { key: 'a', hash: 'h1', externalId: null, label: 'added', invalid: null, match: 'a@x', payload: 'A\tx', digest: 'd-a' },
      { key: 'b', hash: 'NEW', externalId: 'ext-b', label: 'changed', invalid: null, match: 'b@x', payload: 'B', digest: 'd-b', committed: 'd-b' },
    ]);
  });
});

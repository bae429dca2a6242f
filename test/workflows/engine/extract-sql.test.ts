/**
 * The engine's extract queries on each hash-capable warehouse (DuckDB,
 * PostgreSQL, MariaDB), run for real against a small table with every kind of
 * invalid row and keys whose byte order differs from a collation's order.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RECORD_KEY_COLUMN, type TPlanPath } from '../../../workflows/compile/plan';
import { keyBucket, rowDigest, KEY_BUCKET_BITS } from '../../../workflows/engine/buckets';
import { digestQuery, keysQuery, mergeQuery, nativeDigests, payloadQuery, sharedValuesQuery, type KnownShared } from '../../../workflows/engine/extract-sql';
import { contentHash, encodeCanonical, fieldsSignature } from '../../../workflows/engine/hash';
import { compareKeys, parseWarehouseLine } from '../../../workflows/engine/merge';
import type { HashDialect } from '../../../workflows/engine/sql-dialect';
import { WAREHOUSES, type Warehouse } from '../../helpers/warehouses';

const TABLE = 'bf_extract_probe';
/** [id, email]: a shared key (2), a shared match value (3, 4), NULLs, and keys that sort differently by bytes and by collation. */
const ROWS: [string | null, string | null][] = [
  ['1', 'a@x.co'],
  ['2', 'b@x.co'],
  ['2', 'c@x.co'],
  ['3', 'd@x.co'],
  ['4', 'd@x.co'],
  ['5', null],
  [null, 'e@x.co'],
  ['B', 'f@x.co'],
  ['a', 'g@x.co'],
  ['é', 'h@x.co'],
  ['10', 'i@x.co'],
  ['9', 'j@x.co'],
];
const FIELDS = [{ name: 'email', type: 'string', whenNull: 'send_null', onlyIfEmpty: false }] as TPlanPath['fields'];

const literal = (v: string | null) => (v === null ? 'NULL' : `'${v.replace(/'/g, "''")}'`);

function planPath(dialect: HashDialect): TPlanPath {
  const q = (name: string) => (dialect === 'mysql' ? `\`${name}\`` : `"${name}"`);
  return {
    id: 'dest',
    nodeIds: ['query', 'dest'],
    source: { connectionId: 'src', dialect },
    sql: `SELECT ${q('id')} AS ${q(RECORD_KEY_COLUMN)}, ${q('email')} FROM ${TABLE}`,
    primaryKey: ['id'],
    fields: FIELDS,
    matchField: 'email',
    destination: { connectionId: 'dst', connector: 'noop-sink', object: 'records', mode: 'mirror', options: {} },
  };
}

/** Splits a CSV line (COPY's FORMAT csv): quoted fields, "" for a quote, empty unquoted field = NULL. */
function csvFields(line: string): (string | null)[] {
  const out: (string | null)[] = [];
  let i = 0;
  while (i <= line.length) {
    if (line[i] === '"') {
      let v = '';
      i++;
      for (;;) {
        const j = line.indexOf('"', i);
        v += line.slice(i, j);
        if (line[j + 1] === '"') {
          v += '"';
          i = j + 2;
        } else {
          i = j + 2;
          break;
        }
      }
      out.push(v);
    } else {
      const j = line.indexOf(',', i);
      const end = j < 0 ? line.length : j;
      const raw = line.slice(i, end);
      out.push(raw === '' ? null : raw);
      i = end + 1;
    }
  }
  return out;
}

const hashOf = (email: string) => contentHash(fieldsSignature(FIELDS), encodeCanonical([email]));

for (const warehouse of WAREHOUSES) {
  describe(`extract queries on ${warehouse.name}`, () => {
    let r: Warehouse & { lines: (sql: string) => Promise<string[]> };
    let path: TPlanPath;
    /** mergeQuery's lines, parsed as merge.ts does for this dialect. */
    const parse = (l: string) => parseWarehouseLine(l, nativeDigests(r.dialect));
    /** The row digest a keyed row should carry: Node's for md5 digests; for native ones, what the keys query gave that key. */
    let digestOf: (key: string, email: string) => string;
    /** A key's full-resolution bucket: Node's md5 one, or with native digests what the keys query gave. */
    let bucketFor: (key: string) => number;

    beforeAll(async () => {
      const w = await warehouse.open();
      r = { ...w, lines: async (sql) => (await w.rows(sql)).map((x) => String(x.l)) };
      path = planPath(r.dialect);
      await r.exec(`DROP TABLE IF EXISTS ${TABLE}`);
      // A linguistic collation on PostgreSQL and a case-insensitive one on MariaDB: the merge must still get byte order.
      const textType = r.dialect === 'mysql' ? 'VARCHAR(50)' : r.dialect === 'postgres' ? 'TEXT COLLATE "en-x-icu"' : 'VARCHAR';
      await r.exec(`CREATE TABLE ${TABLE} (id ${textType}, email VARCHAR(50))${r.dialect === 'mysql' ? ' CHARACTER SET utf8mb4 COLLATE utf8mb4_general_ci' : ''}`);
      await r.exec(`INSERT INTO ${TABLE} VALUES ${ROWS.map(([id, email]) => `(${literal(id)}, ${literal(email)})`).join(', ')}`);
      const keyRows = (await r.lines(keysQuery(r.dialect, path, false))).map(csvFields);
      const fromKeysQuery = new Map(keyRows.map((x) => [`${x[1]}\u0000${x[2]}`, x[5]!]));
      const buckets = new Map(keyRows.map((x) => [x[1], Number(x[4])]));
      digestOf = nativeDigests(r.dialect) ? (k, e) => fromKeysQuery.get(`${k}\u0000${e}`)! : (k, e) => String(rowDigest(k, hashOf(e)));
      bucketFor = nativeDigests(r.dialect) ? (k) => buckets.get(k)! : keyBucket;
    });

    afterAll(async () => {
      await r?.exec(`DROP TABLE IF EXISTS ${TABLE}`).catch(() => {});
      await r?.close();
    });

    it('merge query: keys in byte order whatever the column collation, match flags, and the Node hash', async () => {
      const rows = (await r.lines(mergeQuery(r.dialect, path))).map(parse);
      const keyed = rows.filter((x) => x.flag !== 'k');
      const keys = keyed.map((x) => x.key);
      expect(keys).toEqual([...keys].sort(compareKeys));
      expect(keys).toEqual(['1', '10', '2', '2', '3', '4', '5', '9', 'B', 'a', 'é']);
      const flag = (k: string) => keyed.filter((x) => x.key === k).map((x) => x.flag);
      expect(flag('3')).toEqual(['M']);
      expect(flag('4')).toEqual(['M']);
      expect(flag('5')).toEqual(['m']);
      expect(flag('2')).toEqual(['0', '0']); // shared keys are adjacent: merge.ts flags them
      expect(rows.filter((x) => x.flag === 'k')).toHaveLength(1);
      expect(keyed.find((x) => x.key === 'é')!.hash).toBe(hashOf('h@x.co'));
    });

    it('keys query (first sync): every invalid row flagged, payloads and hashes for the rest', async () => {
      const rows = (await r.lines(keysQuery(r.dialect, path, true))).map(csvFields);
      const byFlag = (f: string | null) => rows.filter((x) => x[0] === f).map((x) => x[1]).sort();
      expect(byFlag('duplicate_key')).toEqual(['2', '2']);
      expect(byFlag('duplicate_match')).toEqual(['3', '4']);
      expect(byFlag('null_match')).toEqual(['5']);
      expect(rows.filter((x) => x[0] === 'null_key').map((x) => x[2])).toEqual(['e@x.co']);
      expect(byFlag(null)).toEqual(['1', '10', '9', 'B', 'a', 'é'].sort());
      const e = rows.find((x) => x[1] === 'é')!;
      expect(e.slice(2)).toEqual(['h@x.co', hashOf('h@x.co'), String(bucketFor('é')), digestOf('é', 'h@x.co'), 'h@x.co']);
      // Every keyed row carries a bucket (Node's, without native digests) and a row digest (the commit stores them as they are).
      for (const row of rows.filter((x) => x[1] !== null)) {
        if (!nativeDigests(r.dialect)) expect(row[4]).toBe(String(keyBucket(row[1]!)));
        expect(Number(row[4])).toBeLessThan(2 ** KEY_BUCKET_BITS);
        expect(row[5]).toMatch(/^\d+$/);
        expect(BigInt(row[5]!)).toBeLessThan(2n ** 60n);
        if (!nativeDigests(r.dialect) && row[2] !== null) expect(row[5]).toBe(String(rowDigest(row[1]!, row[3]!)));
      }
      // Different rows, different digests.
      const keyed = rows.filter((x) => x[1] !== null);
      expect(new Set(keyed.map((x) => x[5])).size).toBe(keyed.length);
      expect(rows.filter((x) => x[1] === null).map((x) => [x[4], x[5]])).toEqual([[null, null]]);
    });

    it('shared values query: the keys and match values several rows share', async () => {
      expect(await r.lines(sharedValuesQuery(r.dialect, path, 'key'))).toEqual(['2']);
      expect(await r.lines(sharedValuesQuery(r.dialect, path, 'match'))).toEqual(['d@x.co']);
    });

    it('inlined shared values flag exactly the rows the joins flag', async () => {
      const known: KnownShared = {
        key: await r.lines(sharedValuesQuery(r.dialect, path, 'key')),
        match: await r.lines(sharedValuesQuery(r.dialect, path, 'match')),
      };
      const sorted = (lines: string[]) => [...lines].sort();
      expect(sorted(await r.lines(keysQuery(r.dialect, path, true, known)))).toEqual(sorted(await r.lines(keysQuery(r.dialect, path, true))));
      expect(await r.lines(mergeQuery(r.dialect, path, known.match))).toEqual(await r.lines(mergeQuery(r.dialect, path)));
      // An empty list flags nothing as shared: the shared match value's rows become valid ('0').
      const none = (await r.lines(mergeQuery(r.dialect, path, []))).map(parse);
      expect(none.filter((x) => x.key === '3' || x.key === '4').map((x) => x.flag)).toEqual(['0', '0']);
      const noneKeys = (await r.lines(keysQuery(r.dialect, path, true, { key: [], match: [] }))).map(csvFields);
      expect(noneKeys.filter((x) => x[0] === 'duplicate_key' || x[0] === 'duplicate_match')).toEqual([]);
    });

    it('digest query: per bucket, the valid rows and the sum of their row digests; invalid rows taint their bucket', async () => {
      for (const bits of [0, 2, 4]) {
        const bucketOf = (k: string) => bucketFor(k) >> (KEY_BUCKET_BITS - bits);
        const want = new Map<number, { n: number; t: number; s: bigint }>();
        for (const [id, email] of ROWS) {
          if (id === null) continue; // NULL keys have no bucket: the merge query always reads them
          const b = bucketOf(id);
          const d = want.get(b) ?? { n: 0, t: 0, s: 0n };
          // Invalid here: a NULL match value, or the match value 'd@x.co' that rows 3 and 4 share.
          if (email === null || email === 'd@x.co') d.t++;
          else {
            d.n++;
            d.s += BigInt(digestOf(id, email));
          }
          want.set(b, d);
        }
        const expected = [...want.entries()].sort((a, b) => a[0] - b[0]).map(([b, d]) => `${b}:${d.n}:${d.t}:${d.s}`);
        expect(await r.lines(digestQuery(r.dialect, path, bits))).toEqual(expected);
        // The inlined list of shared match values gives the same digests as the join.
        expect(await r.lines(digestQuery(r.dialect, path, bits, ['d@x.co']))).toEqual(expected);
      }
    });

    it('merge query with payloads: the same rows, with the match values and payloads of the payload query', async () => {
      const digests = nativeDigests(r.dialect);
      const plain = (await r.lines(mergeQuery(r.dialect, path))).map(parse);
      const rich = (await r.lines(mergeQuery(r.dialect, path, null, null, true))).map((l) => parseWarehouseLine(l, digests, true));
      const strip = (rows: typeof plain) => rows.map((x) => `${x.flag}:${x.hash}:${x.digest}:${x.key}`).sort();
      expect(strip(rich)).toEqual(strip(plain));
      const keys = ['1', 'a', 'é', '10'];
      const fetched = (await r.lines(payloadQuery(r.dialect, path, keys))).map(csvFields);
      for (const key of keys) {
        const p = fetched.find((x) => x[0] === key)!;
        expect(rich.find((x) => x.key === key)).toMatchObject({ flag: '0', match: p[1], hash: p[2], payload: p[5] });
        if (digests) expect(rich.find((x) => x.key === key)!.digest).toBe(`${p[3]}/${p[4]}`);
      }
      // A NULL match value comes back as null.
      expect(rich.find((x) => x.key === '5')).toMatchObject({ flag: 'm', match: null });
    });

    it('merge query with a bucket filter: the rows of those buckets and, when asked, the NULL-key rows, nothing else', async () => {
      const bits = 3;
      const all = (await r.lines(mergeQuery(r.dialect, path))).map(parse);
      const bucketOf = (k: string) => bucketFor(k) >> (KEY_BUCKET_BITS - bits);
      const dirty = [...new Set(['1', '2', 'é'].map(bucketOf))].sort((a, b) => a - b);
      const some = (await r.lines(mergeQuery(r.dialect, path, null, { bits, dirty, nullKeys: true }))).map(parse);
      // Rows sharing a key come in either order.
      const canonical = (rows: typeof all) => rows.map((x) => `${x.key}:${x.flag}:${x.hash}:${x.digest}`).sort();
      expect(canonical(some)).toEqual(canonical(all.filter((x) => x.flag === 'k' || dirty.includes(bucketOf(x.key)))));
      expect(some.map((x) => x.key)).toEqual(expect.arrayContaining(['1', '2', '2', 'é']));
      expect(some.filter((x) => x.flag === 'k')).toHaveLength(1);
      const keyed = (await r.lines(mergeQuery(r.dialect, path, null, { bits, dirty, nullKeys: false }))).map(parse);
      expect(canonical(keyed)).toEqual(canonical(some.filter((x) => x.flag !== 'k')));
      const none = (await r.lines(mergeQuery(r.dialect, path, null, { bits, dirty: [], nullKeys: true }))).map(parse);
      expect(none.map((x) => x.flag)).toEqual(['k']);
      expect(await r.lines(mergeQuery(r.dialect, path, null, { bits, dirty: [], nullKeys: false }))).toEqual([]);
      // Buckets are written into the SQL as integers, and only as integers.
      expect(() => mergeQuery(r.dialect, path, null, { bits, dirty: [1.5], nullKeys: false })).toThrow(/not an integer/);
    });

    it('payload query: only the requested keys, with the same hash and row digest', async () => {
      const rows = (await r.lines(payloadQuery(r.dialect, path, ['é', 'a', 'missing']))).map(csvFields);
      expect(rows.map((x) => x[0]).sort()).toEqual(['a', 'é']);
      expect(rows.find((x) => x[0] === 'a')).toEqual(['a', 'g@x.co', hashOf('g@x.co'), String(bucketFor('a')), digestOf('a', 'g@x.co'), 'g@x.co']);
      // Keys are literals in each dialect's own quoting: quotes and backslashes match nothing here and break nothing.
      expect(await r.lines(payloadQuery(r.dialect, path, ["o'k", 'back\\slash', "\\'"]))).toEqual([]);
      // A key asked for twice comes once; no keys, no rows.
      expect((await r.lines(payloadQuery(r.dialect, path, ['a', 'a']))).map((l) => csvFields(l)[0])).toEqual(['a']);
      expect(await r.lines(payloadQuery(r.dialect, path, []))).toEqual([]);
    });

    it('merge query: the buckets and row digests of the keys query, where they are the warehouse\'s own', async () => {
      const rows = (await r.lines(mergeQuery(r.dialect, path))).map(parse);
      if (!nativeDigests(r.dialect)) {
        expect(rows.every((x) => x.digest === null)).toBe(true);
        return;
      }
      const emails = new Map(ROWS.filter(([id]) => id !== null && id !== '2').map(([id, email]) => [id!, email]));
      for (const x of rows.filter((x) => x.flag !== 'k' && x.key !== '2' && emails.get(x.key) !== null)) {
        expect(x.digest).toBe(`${bucketFor(x.key)}/${digestOf(x.key, emails.get(x.key)!)}`);
      }
    });
  });
}

for (const dialect of ['duckdb', 'postgres'] as const) {
  describe(`native row digests (${dialect === 'duckdb' ? 'DuckDB hash()' : 'PostgreSQL hash_record_extended()'})`, () => {
    let w: Warehouse;
    const fields = (types: string[]) =>
      ['a', 'b'].map((name, i) => ({ name, type: types[i], whenNull: 'send_null', onlyIfEmpty: false })) as TPlanPath['fields'];
    const digestsOf = async (rows: [string, string | null, string | null][], f = fields(['string', 'string'])) => {
      const path = { ...planPath(dialect), sql: `SELECT * FROM (VALUES ${rows.map((r) => `(${r.map(literal).join(', ')})`).join(', ')}) v("${RECORD_KEY_COLUMN}", a, b)`, fields: f, matchField: 'a' };
      return (await w.rows(keysQuery(dialect, path, false, { key: [], match: [] }))).map((x) => csvFields(String(x.l))[5]);
    };

    beforeAll(async () => {
      w = await WAREHOUSES.find((x) => x.name === dialect)!.open();
    });
    afterAll(async () => {
      await w?.close();
    });

    it('merge query with payloads: tabs and backslashes in match values and payloads come back as they were', async () => {
      const values = ['a\tb', 'c\\td', 'e\\\\f\t', 'plain', '\\N'];
      const path = {
        ...planPath(dialect),
        sql: `SELECT * FROM (VALUES ${values.map((v, i) => `('k${i}', ${literal(v)}, ${literal(`${v}!`)})`).join(', ')}) v("${RECORD_KEY_COLUMN}", a, b)`,
        fields: fields(['string', 'string']),
        matchField: 'a',
      };
      const rows = (await w.rows(mergeQuery(dialect, path, [], null, true))).map((x) => parseWarehouseLine(String(x.l), true, true));
      expect(rows.map((x) => [x.key, x.match])).toEqual(values.map((v, i) => [`k${i}`, v]));
      expect(rows.map((x) => x.payload)).toEqual(values.map((v) => encodeCanonical([v, `${v}!`])));
    });

    it('is the same for the same row, and differs when a column, the order of values, or the field list changes', async () => {
      const [same1, same2, changed, swapped, nulls, equalPair, otherPair, joined, empty, bothNull] = await digestsOf([
        ['k', 'x', 'y'],
        ['k', 'x', 'y'],
        ['k', 'x', 'z'],
        ['k', 'y', 'x'],
        ['k', 'x', null],
        ['k', 'p', 'p'],
        ['k', 'q', 'q'],
        ['k', 'x,y', null],
        ['k', '', null],
        ['k', null, null],
      ]);
      expect(same1).toBe(same2);
      // Equal values in two columns do not cancel out, nor do swapped ones; a
      // separator inside a value is not a column boundary, and NULL is not ''.
      expect(new Set([same1, changed, swapped, nulls, equalPair, otherPair, joined, empty, bothNull]).size).toBe(9);
      const [otherKey] = await digestsOf([['k2', 'x', 'y']]);
      expect(otherKey).not.toBe(same1);
      // Another field type (so another canonical payload): another digest for the same values.
      const [retyped] = await digestsOf([['k', 'x', 'y']], fields(['string', 'json']));
      expect(retyped).not.toBe(same1);
    });

    it('a bucket sees values swapped between its rows: the sum of two rows\' digests changes', async () => {
      // A digest that added up per-column hashes would give the same sums.
      const sum = (ds: (string | null | undefined)[]) => ds.reduce((a, d) => (a + BigInt(d ?? 'x')) % 2n ** 60n, 0n);
      const before = sum(await digestsOf([['k1', 'x', 'y'], ['k2', 'p', 'q']]));
      expect(sum(await digestsOf([['k1', 'x', 'y'], ['k2', 'p', 'q']]))).toBe(before);
      expect(sum(await digestsOf([['k1', 'p', 'y'], ['k2', 'x', 'q']]))).not.toBe(before);
      expect(sum(await digestsOf([['k1', 'x', 'q'], ['k2', 'p', 'y']]))).not.toBe(before);
      // Keys swapped: each key now has the other's values.
      expect(sum(await digestsOf([['k2', 'x', 'y'], ['k1', 'p', 'q']]))).not.toBe(before);
    });

    it('changes when any one column of any field type changes, and not when nothing does', async () => {
      // [field type, SQL type, base value, changed value]: each change also changes the canonical payload.
      const typed: [TPlanPath['fields'][number]['type'], string, string, string][] = [
        ['string', dialect === 'duckdb' ? 'VARCHAR' : 'TEXT', "'Ada'", "'ada'"],
        ['number', 'DECIMAL(12, 2)', '1.25', '1.26'],
        ['number', dialect === 'duckdb' ? 'DOUBLE' : 'DOUBLE PRECISION', '0.1', '0.10000000000000002'],
        ['integer', 'BIGINT', '9007199254740993', '9007199254740992'],
        ['boolean', 'BOOLEAN', 'true', 'false'],
        ['timestamp', 'TIMESTAMP', "'2024-02-29 13:45:56.789123'", "'2024-02-29 13:45:56.789124'"],
        ['date', 'DATE', "'2024-02-29'", "'2024-03-01'"],
        ['json', dialect === 'duckdb' ? 'JSON' : 'JSONB', `'{"a": [1, 2]}'`, `'{"a": [2, 1]}'`],
        ['string_array', dialect === 'duckdb' ? 'VARCHAR[]' : 'TEXT[]', dialect === 'duckdb' ? "['a', 'b']" : "ARRAY['a', 'b']", dialect === 'duckdb' ? "['a', 'b ']" : "ARRAY['a', 'b ']"],
        // PostgreSQL's values that are equal, or hash alike, yet print differently; and JSON, which has no hash function.
        ...(dialect === 'postgres'
          ? ([
              ['string', 'NUMERIC', '1.0', '1.00'],
              ['integer', 'NUMERIC', '5.0', '5.00'],
              ['string', 'DOUBLE PRECISION', "'0'", "'-0'"],
              ['json', 'JSON', `'{"a": 1}'`, `'{"a":  1}'`],
            ] satisfies typeof typed)
          : []),
      ];
      const names = typed.map((_, i) => `c${i}`);
      const row = (changed: number) => `SELECT 'k' AS "${RECORD_KEY_COLUMN}", ${typed.map(([, type, base, next], i) => `CAST(${i === changed ? next : base} AS ${type}) AS ${names[i]}`).join(', ')}`;
      const path = {
        ...planPath(dialect),
        // One row per variant: -1 is the base row, twice; i changes column i only.
        sql: [-1, -1, ...typed.map((_, i) => i)].map(row).join(' UNION ALL '),
        fields: typed.map(([type], i) => ({ name: names[i]!, type, whenNull: 'send_null', onlyIfEmpty: false })) as TPlanPath['fields'],
        matchField: 'c0',
      };
      const lines = (await w.rows(keysQuery(dialect, path, true, { key: [], match: [] }))).map((x) => csvFields(String(x.l)));
      const digests = lines.map((l) => l[5]);
      const payloads = lines.map((l) => l[6]);
      // The query keeps the variants' order (UNION ALL of constant rows); the payloads show which row is which.
      expect(new Set(payloads).size).toBe(typed.length + 1);
      const base = payloads.findIndex((p, i) => payloads.indexOf(p) !== i);
      expect(base).toBeGreaterThan(0);
      expect(digests[base]).toBe(digests[payloads.indexOf(payloads[base])]);
      expect(new Set(digests).size).toBe(typed.length + 1);
    });
  });
}

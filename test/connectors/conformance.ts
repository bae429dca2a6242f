/**
 * Destination conformance kit: the rules of DESIGN.md §3 that every destination
 * connector must keep, checked against its sandbox (or a real server).
 *
 *   describeConformance(subject)   registers one vitest `describe` per subject.
 *
 * Connector-level checks (here): upsert twice → no duplicates; per-row validation
 * errors carry their field while valid rows pass; 429 / 5xx are retryable and a
 * bad credential is not; a connection dropped after the write was applied is an
 * 'unknown' outcome and lookup() then finds the record; a timeout is 'unknown'
 * too; a full batch never puts more than the API's limit in one request; lookup
 * answers every request (null when absent); mirror deletes exactly what it should.
 *
 * The kit plays the engine's part where a check needs it: it parses credentials,
 * config and options with the connector's schemas, chooses the operation the
 * engine would (upsert; or create, then update by external id, for objects that
 * cannot be upserted; add/remove for audiences) and remembers external ids the
 * way sync_state does.
 *
 * Subjects: injectFault('timeout') must hold the request longer than the
 * connector's own timeout set in start() (keep that timeout short, ~1–2 s), and
 * countByMatch / writeRequestSizes read the sandbox's /__sandbox endpoints.
 */
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, test } from 'vitest';
import {
  FIELD_TYPES,
  isConnectorError,
  type AnyDestination,
  type ConnectorError,
  type LookupResult,
  type ObjectDescriptor,
  type Operation,
  type RowResult,
  type WriteContext,
  type WriteRow,
} from '../../connectors/sdk/types';
import { testWriteContext } from '../helpers/connector-context';
import type { ConformanceEnv, ConformanceRow, ConformanceSubject } from './conformance-subject';

export type { ConformanceSubject } from './conformance-subject';

type Outcome = { kind: 'threw'; error: ConnectorError } | { kind: 'results'; results: RowResult[] };

const CONNECTION_NAME = 'Conformance connection';

async function attempt(p: Promise<RowResult[]>): Promise<Outcome> {
  try {
    return { kind: 'results', results: await p };
  } catch (err) {
    if (isConnectorError(err)) return { kind: 'threw', error: err };
    throw err;
  }
}

function expectOneResultPerRow(rows: { recordKey: string }[], results: { recordKey: string }[]) {
  expect(results).toHaveLength(rows.length);
  expect(results.map((r) => r.recordKey).sort()).toEqual(rows.map((r) => r.recordKey).sort());
}

function statusOf(results: RowResult[], recordKey: string): RowResult {
  const r = results.find((x) => x.recordKey === recordKey);
  if (!r) throw new Error(`no result for row ${recordKey}`);
  return r;
}

/** Engine-side view of one subject: parsed settings, remembered external ids. */
class Harness {
  readonly externalIds = new Map<string, string>();
  object: ObjectDescriptor | undefined;

  constructor(
    readonly subject: ConformanceSubject,
    readonly settings: { credentials: unknown; config: unknown; options: unknown; badCredentials: unknown },
  ) {}

  get connector(): AnyDestination {
    return this.subject.connector;
  }

  ctx(credentials: unknown = this.settings.credentials): WriteContext<unknown, unknown, unknown> {
    const ctx = testWriteContext(this.connector, {
      credentials,
      config: this.settings.config,
      object: this.subject.object,
      mode: this.subject.mode,
      options: this.settings.options,
    });
    return { ...ctx, connectionName: CONNECTION_NAME };
  }

  /** The operation the engine would send for a row that should exist. */
  private putOp(recordKey: string): Operation {
    if (this.subject.mode === 'add_remove') return 'add';
    if (this.object?.upsert === false) return this.externalIds.has(recordKey) ? 'update' : 'create';
    return 'upsert';
  }

  toWrite(rows: ConformanceRow[], kind: 'put' | 'delete'): WriteRow[] {
    return rows.map((r) => {
      const op: Operation = kind === 'delete' ? (this.subject.mode === 'add_remove' ? 'remove' : 'delete') : this.putOp(r.recordKey);
      const contentHash = createHash('sha256').update(JSON.stringify(r.fields)).digest('hex');
      const externalId = this.externalIds.get(r.recordKey);
      return {
        recordKey: r.recordKey,
        op,
        fields: r.fields,
        match: r.match,
        ...(externalId ? { externalId } : {}),
        idempotencyKey: createHash('sha256').update(`${this.subject.name}\n${r.recordKey}\n${contentHash}\n${op}`).digest('hex'),
      };
    });
  }

  async write(rows: ConformanceRow[], kind: 'put' | 'delete' = 'put', ctx = this.ctx()): Promise<RowResult[]> {
    const batch = this.toWrite(rows, kind);
    const results = await this.connector.write(batch, ctx);
    expectOneResultPerRow(batch, results);
    for (const r of results) {
      if (r.status === 'accepted' && r.externalId && kind === 'put') this.externalIds.set(r.recordKey, r.externalId);
      if (r.status === 'accepted' && kind === 'delete') this.externalIds.delete(r.recordKey);
    }
    return results;
  }

  async lookup(rows: ConformanceRow[]): Promise<LookupResult[]> {
    if (!this.connector.lookup) throw new Error(`${this.subject.name}: connector has no lookup()`);
    return this.connector.lookup(
      rows.map((r) => ({ recordKey: r.recordKey, match: r.match })),
      this.ctx(),
    );
  }

  /** What the engine does after an 'unknown' outcome: learn external ids by lookup. */
  async learnByLookup(rows: ConformanceRow[]): Promise<LookupResult[]> {
    const found = await this.lookup(rows);
    for (const f of found) if (f.externalId) this.externalIds.set(f.recordKey, f.externalId);
    return found;
  }
}

function expectAccepted(results: RowResult[]) {
  for (const r of results) expect(r, `row ${r.recordKey}: ${r.message ?? ''}`).toMatchObject({ status: 'accepted' });
}

/** A failed attempt the engine may retry: a retryable ConnectorError, or every row retryable. */
function expectRetryableOutcome(o: Outcome, rows: ConformanceRow[], applied: 'no' | 'unknown' | 'either') {
  if (o.kind === 'threw') {
    expect(o.error.retryable, o.error.message).toBe(true);
    if (applied !== 'either') expect(o.error.applied, o.error.message).toBe(applied);
    return;
  }
  expectOneResultPerRow(rows, o.results);
  for (const r of o.results) expect(r.status, `row ${r.recordKey}: ${r.message ?? ''}`).toBe('retryable');
}

export function describeConformance(subject: ConformanceSubject): void {
  describe(`destination conformance: ${subject.name}`, () => {
    let env: ConformanceEnv | undefined;
    let h: Harness;
    const caps = subject.connector.capabilities;
    const records = caps.writes === 'records';
    // Without an idempotency key, a re-sent event is a second event: only the
    // engine (never re-send a committed key) can prevent that.
    const countsDuplicates = caps.writes !== 'events' || caps.idempotencyKey;
    const deletes = caps.deletes && (caps.modes.includes('mirror') || caps.modes.includes('add_remove'));

    beforeAll(async () => {
      env = await subject.start();
      const c = subject.connector;
      h = new Harness(subject, {
        credentials: c.credentialsSchema.parse(env.credentials),
        config: c.configSchema.parse(env.config),
        options: c.optionsSchema.parse(env.options),
        badCredentials: c.credentialsSchema.parse(env.badCredentials),
      });
      const discovered = await c.discover(h.ctx());
      h.object = discovered.objects.find((o) => o.name === subject.object);
    });

    afterAll(async () => {
      await env?.stop();
    });

    beforeEach(async () => {
      await subject.reset();
      h?.externalIds.clear();
    });

    test('declares a coherent contract and discovers the object with typed fields', () => {
      expect(caps.batchSize).toBeGreaterThanOrEqual(1);
      expect(caps.modes).toContain(subject.mode);
      if (records) expect(typeof subject.connector.lookup).toBe('function');
      expect(h.object, `discover() lists no object named "${subject.object}"`).toBeDefined();
      for (const f of h.object!.fields) expect(FIELD_TYPES).toContain(f.type);
    });

    test('writing the same rows twice leaves one record per match value', async () => {
      const rows = [subject.row(0), subject.row(1)];
      const first = await h.write(rows);
      expectAccepted(first);
      const second = await h.write(rows);
      expectAccepted(second);
      if (records) {
        for (const r of rows) {
          const a = statusOf(first, r.recordKey).externalId;
          const b = statusOf(second, r.recordKey).externalId;
          if (a && b) expect(b).toBe(a);
        }
      }
      if (countsDuplicates) for (const r of rows) expect(await subject.countByMatch(r.match.value), r.match.value).toBe(1);
    });

    test('a per-row validation error names its field; valid rows in the same batch are accepted', async () => {
      const bad = subject.invalidRow(1);
      const rows = [subject.row(0), bad.row, subject.row(2)];
      const results = await h.write(rows);
      const rejected = statusOf(results, bad.row.recordKey);
      expect(rejected.status).toBe('rejected');
      expect(rejected.field).toBe(bad.field);
      expect(rejected.message ?? '').not.toBe('');
      expectAccepted([statusOf(results, rows[0]!.recordKey), statusOf(results, rows[2]!.recordKey)]);
      expect(await subject.countByMatch(rows[0]!.match.value)).toBe(1);
      expect(await subject.countByMatch(rows[2]!.match.value)).toBe(1);
      if (countsDuplicates) expect(await subject.countByMatch(bad.row.match.value)).toBe(0);
    });

    test('429 is retryable and not applied; the rows go through on retry', async () => {
      const rows = [subject.row(0)];
      await subject.injectFault('rate_limited');
      const o = await attempt(h.write(rows));
      expectRetryableOutcome(o, rows, 'no');
      if (o.kind === 'threw') expect(o.error.code).toBe('rate_limited');
      if (countsDuplicates) expect(await subject.countByMatch(rows[0]!.match.value)).toBe(0);
      expectAccepted(await h.write(rows));
      if (countsDuplicates) expect(await subject.countByMatch(rows[0]!.match.value)).toBe(1);
    });

    test('5xx is retryable; the rows go through on retry without duplicates', async () => {
      const rows = [subject.row(0), subject.row(1)];
      await subject.injectFault('server_error');
      const o = await attempt(h.write(rows));
      expectRetryableOutcome(o, rows, 'either');
      if (o.kind === 'threw') expect(o.error.code).toBe('server');
      if (records && o.kind === 'threw' && o.error.applied === 'unknown') await h.learnByLookup(rows);
      expectAccepted(await h.write(rows));
      if (countsDuplicates) for (const r of rows) expect(await subject.countByMatch(r.match.value)).toBe(1);
    });

    test('bad credentials fail the batch as a non-retryable auth error that names the connection', async () => {
      const o = await attempt(h.write([subject.row(0)], 'put', h.ctx(h.settings.badCredentials)));
      expect(o.kind, 'expected write() to throw a ConnectorError').toBe('threw');
      if (o.kind !== 'threw') return;
      expect(['auth', 'permission']).toContain(o.error.code);
      expect(o.error.retryable).toBe(false);
      expect(o.error.message).toContain(CONNECTION_NAME);
      expect(o.error.message).toContain('fix:');
    });

    test('a connection dropped after the write was applied is an unknown outcome; lookup then finds the record', async () => {
      const rows = [subject.row(0), subject.row(1)];
      await subject.injectFault('drop_after_apply');
      const o = await attempt(h.write(rows));
      expectRetryableOutcome(o, rows, 'unknown');
      if (records) {
        // The engine looks up by match key before any retry.
        const found = await h.learnByLookup(rows);
        expectOneResultPerRow(rows, found);
        for (const f of found) expect(f.externalId, `lookup should find ${f.recordKey}`).not.toBeNull();
      }
      expectAccepted(await h.write(rows));
      if (countsDuplicates) for (const r of rows) expect(await subject.countByMatch(r.match.value), r.match.value).toBe(1);
    });

    test('a request that times out is an unknown, retryable outcome', { timeout: 120_000 }, async () => {
      const rows = [subject.row(0)];
      await subject.injectFault('timeout');
      const o = await attempt(h.write(rows));
      expectRetryableOutcome(o, rows, 'unknown');
      if (records) {
        // The sandbox's timeout strikes before the write is applied.
        const [found] = await h.learnByLookup(rows);
        expect(found?.externalId ?? null).toBeNull();
      }
      expectAccepted(await h.write(rows));
    });

    test('a full batch never puts more rows in one request than the API allows', { timeout: 300_000 }, async () => {
      const rows = Array.from({ length: caps.batchSize }, (_, i) => subject.row(10_000 + i));
      const results = await h.write(rows);
      expectAccepted(results);
      const sizes = await subject.writeRequestSizes();
      expect(sizes.length).toBeGreaterThanOrEqual(1);
      expect(Math.max(...sizes)).toBeLessThanOrEqual(subject.apiMaxBatch);
      expect(sizes.reduce((a, b) => a + b, 0)).toBeGreaterThanOrEqual(caps.batchSize);
    });

    test.runIf(records)('lookup answers every request, with null for records that do not exist', async () => {
      expect(await h.lookup([])).toEqual([]);
      const rows = [subject.row(0), subject.row(1)];
      const written = await h.write(rows);
      expectAccepted(written);
      const absent = subject.row(99_999);
      const found = await h.lookup([rows[1]!, absent, rows[0]!]);
      expect(found.map((f) => f.recordKey)).toEqual([rows[1]!.recordKey, absent.recordKey, rows[0]!.recordKey]);
      expect(found[1]!.externalId).toBeNull();
      for (const [f, r] of [
        [found[0]!, rows[1]!],
        [found[2]!, rows[0]!],
      ] as const) {
        expect(f.externalId, `lookup should find ${r.recordKey}`).not.toBeNull();
        const id = statusOf(written, r.recordKey).externalId;
        if (id) expect(f.externalId).toBe(id);
      }
    });

    test.runIf(deletes)('mirror: deleting one of three records removes exactly that one, and deleting it again is harmless', async () => {
      const rows = [subject.row(0), subject.row(1), subject.row(2)];
      expectAccepted(await h.write(rows));
      expectAccepted(await h.write([rows[1]!], 'delete'));
      expect(await subject.countByMatch(rows[0]!.match.value)).toBe(1);
      expect(await subject.countByMatch(rows[1]!.match.value)).toBe(0);
      expect(await subject.countByMatch(rows[2]!.match.value)).toBe(1);
      expectAccepted(await h.write([rows[1]!], 'delete'));
      expect(await subject.countByMatch(rows[0]!.match.value)).toBe(1);
    });

    // engine-level checks: added by the sync-engine work
    describe('engine-level checks (through the sync engine)', () => {
      test.todo('the account rate limit holds across two worker processes (from the sandbox request timestamps)');
      test.todo('a replayed batch causes no duplicate side effect (intent ledger + lookup)');
    });
  });
}

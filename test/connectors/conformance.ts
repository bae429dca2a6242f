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
 * Engine-level checks (through workflows/engine, against the same sandbox):
 * - the connector takes one limiter token per API request, and two worker-like
 *   processes (test/connectors/engine-probe.ts) sharing the REAL PostgreSQL
 *   limiter for one account keep the account's budget, judged from the
 *   sandbox's request timestamps;
 * - a batch the destination applied but the engine never committed (the worker
 *   died in between) is replayed by deliverBatch without a duplicate side
 *   effect: upserts/adds are re-sent idempotently, idempotency keys dedupe,
 *   pending creates are resolved by lookup(), and events that cannot be
 *   deduplicated are reported instead of re-sent;
 * - replaying a committed batch sends nothing.
 * These stage rows straight into run_rows for a hand-written plan, so they do
 * not depend on a warehouse or on Temporal.
 *
 * Subjects: injectFault('timeout') must hold the request longer than the
 * connector's own timeout set in start() (keep that timeout short, ~1–2 s), and
 * countByMatch / writeRequestSizes / requestTimestamps read the sandbox's
 * /__sandbox endpoints. The settings start() returns must be JSON (the probes
 * receive them as a file). A connector whose declared rate is too high to
 * reach in a short test sets `testRateLimit`.
 */
import { createHash, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, inject, test } from 'vitest';
import { z } from 'zod';
import {
  FIELD_TYPES,
  isConnectorError,
  type AnyDestination,
  type ConnectorError,
  type DestinationCapabilities,
  type FieldType,
  type JsonValue,
  type LookupResult,
  type ObjectDescriptor,
  type Operation,
  type RowResult,
  type WriteRow,
} from '../../connectors/sdk/types';
import type { TPlanField } from '../../workflows/compile/plan';
import { writePendingIntents } from '../../workflows/engine/commit';
import { deliverBatch, idempotencyKey, type DeliverOptions } from '../../workflows/engine/deliver';
import { objectUpserts, operationFor } from '../../workflows/engine/diff';
import { canonicalText, contentHash, encodeCanonical, fieldsSignature, payloadFromCanonical } from '../../workflows/engine/hash';
import { createStaging, stagingTable } from '../../workflows/engine/staging';
import { createLimiterFactory } from '../../workflows/engine/limiter';
import { pin, releaseLocks } from '../../workflows/engine/pin';
import { loadTarget, type EngineDeps, type LoadedTarget } from '../../workflows/engine/target';
import { testWriteContext } from '../helpers/connector-context';
import { createWorkspace, testDb, testPool } from '../helpers/db';
import { createConnection, createPipelineWithPlan } from '../helpers/pipelines';
import type { ConformanceEnv, ConformanceRow, ConformanceSubject } from './conformance-subject';
import { budgetViolation, limiterBudget, startProbes, type ProbeGroup, type TProbeSpec } from './engine-probe-lib';

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

  /** A context with an in-memory limiter (its `taken` counts tokens); the connector's declared rate unless given. */
  ctx(credentials: unknown = this.settings.credentials, requestsPerSecond?: number) {
    const ctx = testWriteContext(this.connector, {
      credentials,
      config: this.settings.config,
      object: this.subject.object,
      mode: this.subject.mode,
      options: this.settings.options,
      ...(requestsPerSecond ? { requestsPerSecond } : {}),
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

// ───────────────────────── engine-level fixtures ─────────────────────────

const quietLog = { info: () => {}, warn: () => {}, error: () => {} };
/** Short backoffs: the checks below never wait on a real retry schedule. */
const FAST_RETRIES: DeliverOptions = { baseBackoffMs: 50, maxBackoffMs: 1_000 };

/** Plan fields for the subject's rows, typed from their values (numbers travel as 'number'). */
function planFields(rows: ConformanceRow[]): TPlanField[] {
  const typeOf = (v: JsonValue): FieldType | null =>
    v === null ? null : typeof v === 'string' ? 'string' : typeof v === 'number' ? 'number' : typeof v === 'boolean' ? 'boolean' : 'json';
  const types = new Map<string, FieldType | null>();
  for (const r of rows) {
    for (const [name, value] of Object.entries(r.fields)) {
      const t = typeOf(value);
      const prev = types.get(name) ?? null;
      if (prev && t && prev !== t) throw new Error(`subject rows hold ${prev} and ${t} values in field "${name}" — fix: give the field one type in row(i)`);
      types.set(name, prev ?? t);
    }
  }
  return [...types].map(([name, type]): TPlanField => ({ name, type: type ?? 'string', whenNull: 'send_null', onlyIfEmpty: false }));
}

/**
 * Rows whose delivery the engine guards with a pending intent: mirrors
 * guardCreates in workflows/engine/deliver.ts (non-idempotent creates of
 * records, and of events without an idempotency key).
 */
function engineGuardsCreate(op: Operation, caps: DestinationCapabilities): boolean {
  return op === 'create' && (caps.writes === 'records' || (caps.writes === 'events' && !caps.idempotencyKey));
}

type EngineBatch = { deps: EngineDeps; t: LoadedTarget; runId: string; batchNo: number; rows: WriteRow[] };

/**
 * One run of a one-path pipeline to the subject's sandbox, pinned, with the
 * given rows staged as batch 0 exactly as extract + diff would leave them
 * (label 'added', the operation the engine chooses, the canonical payload and
 * its content hash). `rows` are the WriteRows deliverBatch will build from it.
 */
async function stageEngineBatch(subject: ConformanceSubject, env: ConformanceEnv, object: ObjectDescriptor | undefined, source: ConformanceRow[]): Promise<EngineBatch> {
  const db = testDb();
  const pool = testPool();
  const deps: EngineDeps = { db, pool, limiterFactory: createLimiterFactory(pool), log: quietLog };
  const caps = subject.connector.capabilities;
  const { workspace } = await createWorkspace(db);
  // The source is never read: the rows are staged directly.
  const src = await createConnection(db, workspace.id, { kind: 'source', connector: 'duckdb', config: {} });
  const dest = await createConnection(db, workspace.id, {
    kind: 'destination',
    name: CONNECTION_NAME,
    connector: subject.connector.slug,
    config: env.config,
    credentials: env.credentials,
  });
  const fields = planFields(source);
  const matchField = source[0]!.match.field;
  const { pipeline } = await createPipelineWithPlan(db, workspace.id, () => [
    {
      id: 'dest',
      source: { connectionId: src.id, dialect: 'duckdb' },
      sql: 'SELECT 1',
      fields,
      matchField,
      destination: {
        connectionId: dest.id,
        connector: subject.connector.slug,
        object: subject.object,
        mode: subject.mode,
        options: z.record(z.string(), z.unknown()).parse(env.options),
      },
    },
  ]);
  const runId = `run_${randomUUID()}`;
  const pinned = await pin(deps, { runId, pipelineId: pipeline.id, trigger: 'conformance' });
  if (!pinned.ok) throw new Error(`${subject.name}: pin failed: ${pinned.reason}`);
  const t = await loadTarget(deps, pinned.targets[0]!.runTargetId);

  const op = operationFor(subject.mode, 'added', objectUpserts(object, caps));
  if (!op) throw new Error(`${subject.name}: ${subject.mode} mode sends no added rows`);
  const signature = fieldsSignature(t.path.fields);
  const staged = source.map((r) => {
    const payload = encodeCanonical(t.path.fields.map((f) => canonicalText(f.type, r.fields[f.name] ?? null)));
    return { r, payload, hash: contentHash(signature, payload) };
  });
  const batchNo = 0;
  await createStaging(pool, t.runTargetId);
  await pool.query(
    `INSERT INTO ${stagingTable(t.runTargetId)} (run_target_id, record_key, match_value, content_hash, label, payload, op, batch_no)
     SELECT $1, u.k, u.m, u.h, 'added', u.p, $2, $3 FROM unnest($4::text[], $5::text[], $6::text[], $7::text[]) AS u(k, m, h, p)`,
    [t.runTargetId, op, batchNo, staged.map((x) => x.r.recordKey), staged.map((x) => x.r.match.value), staged.map((x) => x.hash), staged.map((x) => x.payload)],
  );
  const rows: WriteRow[] = staged.map(({ r, payload, hash }) => ({
    recordKey: r.recordKey,
    op,
    fields: payloadFromCanonical(t.path.fields, payload),
    match: { field: t.path.matchField, value: r.match.value },
    idempotencyKey: idempotencyKey(t.syncTargetId, r.recordKey, hash, op),
  }));
  // The staged payload must decode to the subject's own row, or the checks would test something else.
  for (const [i, row] of rows.entries()) expect(row.fields, `staged payload of ${row.recordKey}`).toEqual(source[i]!.fields);
  return { deps, t, runId, batchNo, rows };
}

/** Record keys the engine counts as accepted: an 'accepted' outcome, or no outcome in a batch marked done (fast path). */
async function acceptedKeys(b: EngineBatch): Promise<string[]> {
  const r = await b.deps.pool.query<{ record_key: string }>(
    `SELECT record_key FROM ${stagingTable(b.t.runTargetId)} r WHERE run_target_id = $1 AND batch_no = $2
       AND (outcome = 'accepted' OR (outcome IS NULL AND EXISTS (SELECT 1 FROM run_batches x WHERE x.run_target_id = r.run_target_id AND x.batch_no = r.batch_no)))`,
    [b.t.runTargetId, b.batchNo],
  );
  return r.rows.map((x) => x.record_key).sort();
}

async function syncedKeys(b: EngineBatch): Promise<string[]> {
  const r = await b.deps.pool.query<{ record_key: string }>(`SELECT record_key FROM sync_state WHERE sync_target_id = $1`, [b.t.syncTargetId]);
  return r.rows.map((x) => x.record_key).sort();
}

export function describeConformance(subject: ConformanceSubject): void {
  describe(`destination conformance: ${subject.name}`, () => {
    let env: ConformanceEnv | undefined;
    let h: Harness;
    let probes: ProbeGroup | undefined;
    const caps = subject.connector.capabilities;
    const records = caps.writes === 'records';
    // Without an idempotency key, a re-sent event is a second event: only the
    // engine (never re-send a committed key) can prevent that.
    const countsDuplicates = caps.writes !== 'events' || caps.idempotencyKey;
    const deletes = caps.deletes && (caps.modes.includes('mirror') || caps.modes.includes('add_remove'));

    beforeAll(async () => {
      // Worker-like processes for the rate-limit check start loading now, while the other checks run.
      probes = startProbes(subject.connector.slug, 2);
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
      await probes?.stop();
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

    describe('engine-level checks (through the sync engine)', () => {
      const keysOf = (rows: { recordKey: string }[]) => rows.map((r) => r.recordKey).sort();
      const started = (): ConformanceEnv => {
        if (!env) throw new Error(`${subject.name}: start() did not run`);
        return env;
      };

      test('takes one limiter token per API request, so a shared budget counts every request', async () => {
        // A generous rate: this counts tokens, it does not wait for them.
        const ctx = h.ctx(h.settings.credentials, 1_000);
        const rows = [subject.row(0), subject.row(1), subject.row(2)];
        expectAccepted(await h.write(rows, 'put', ctx));
        expectAccepted(await h.write(rows, 'put', ctx));
        const requests = (await subject.requestTimestamps()).length;
        expect(requests).toBeGreaterThan(0);
        expect(ctx.limiter.taken, `${ctx.limiter.taken} limiter tokens for ${requests} requests the server logged`).toBe(requests);
      });

      test('the account rate limit holds across two worker processes (from the sandbox request timestamps)', { timeout: 120_000 }, async () => {
        const e = started();
        const rate = subject.testRateLimit ?? caps.rateLimit.requestsPerSecond;
        const { perWindow, windowMs } = limiterBudget(rate);
        // Enough requests for at least four windows: two unshared budgets would finish in half the time.
        const perProcess = Math.ceil(1.5 * perWindow) + 1;
        const accountKey = `conformance:${randomUUID()}`;
        const spec = (p: number): TProbeSpec => ({
          databaseUrl: inject('databaseUrl'),
          connectionName: CONNECTION_NAME,
          accountKey,
          requestsPerSecond: rate,
          credentials: e.credentials,
          config: e.config,
          options: e.options,
          object: subject.object,
          mode: subject.mode,
          rows: h.toWrite(Array.from({ length: perProcess }, (_, i) => subject.row(20_000 + p * 1_000 + i)), 'put'),
        });
        if (!probes) throw new Error('probes were not started');
        const reports = await probes.run([spec(0), spec(1)]);
        for (const [p, r] of reports.entries()) {
          expect(r.problems, `probe ${p}`).toEqual([]);
          expect(r.accepted, `probe ${p}`).toBe(perProcess);
        }
        // The two processes really competed: their write loops overlapped in time.
        expect(Math.max(...reports.map((r) => r.startedAt))).toBeLessThan(Math.min(...reports.map((r) => r.finishedAt)));

        const times = await subject.requestTimestamps();
        const tokens = reports.reduce((n, r) => n + r.tokens, 0);
        expect(times.length, `${tokens} limiter tokens across both processes for ${times.length} requests the server logged`).toBe(tokens);
        expect(times.length).toBeGreaterThan(2 * perWindow);
        expect(budgetViolation(times, perWindow, windowMs)).toBeNull();
      });

      test('a replayed batch causes no duplicate side effect (intent ledger + lookup)', { timeout: 60_000 }, async () => {
        const source = [subject.row(0), subject.row(1), subject.row(2)];
        const b = await stageEngineBatch(subject, started(), h.object, source);
        try {
          // The first attempt, as deliverBatch makes it: intents, then the write,
          // which the destination applies; then the worker dies before committing.
          await writePendingIntents(b.deps, b.t, b.rows.filter((r) => engineGuardsCreate(r.op, caps)));
          const first = await subject.connector.write(b.rows, b.t.destination.ctx);
          expectOneResultPerRow(b.rows, first);
          expectAccepted(first);
          const writesBefore = (await subject.writeRequestSizes()).length;

          // Temporal retries the activity: the replay.
          const replay = await deliverBatch(b.deps, b.t, b.batchNo, FAST_RETRIES);
          expect(replay.staged).toBe(source.length);
          if (caps.writes === 'events' && !caps.idempotencyKey) {
            // Nothing can tell whether these arrived, and re-sending would post them twice: reported, not sent.
            expect((await subject.writeRequestSizes()).length, 'the replay sent events again').toBe(writesBefore);
            expect(replay).toMatchObject({ accepted: 0, rejected: 0, exhausted: source.length });
            const errors = await b.deps.pool.query<{ record_key: string }>(
              `SELECT record_key FROM run_row_errors WHERE run_target_id = $1 AND kind = 'exhausted'`,
              [b.t.runTargetId],
            );
            expect(errors.rows.map((x) => x.record_key).sort()).toEqual(keysOf(source));
            expect(await syncedKeys(b)).toEqual([]);
          } else {
            expect(replay).toMatchObject({ accepted: source.length, rejected: 0, exhausted: 0 });
            expect(await acceptedKeys(b)).toEqual(keysOf(source));
            expect(await syncedKeys(b)).toEqual(keysOf(source));
          }
          for (const r of source) expect(await subject.countByMatch(r.match.value), `records/events for ${r.match.value} after the replay`).toBe(1);
        } finally {
          await releaseLocks(b.deps, b.runId);
        }
      });

      test('an engine replay of a committed batch sends nothing', { timeout: 60_000 }, async () => {
        const source = [subject.row(0), subject.row(1), subject.row(2)];
        const b = await stageEngineBatch(subject, started(), h.object, source);
        try {
          const first = await deliverBatch(b.deps, b.t, b.batchNo, FAST_RETRIES);
          expect(first).toMatchObject({ staged: source.length, accepted: source.length, rejected: 0, exhausted: 0 });
          expect(await acceptedKeys(b)).toEqual(keysOf(source));
          const requestsBefore = (await subject.requestTimestamps()).length;
          expect(requestsBefore).toBeGreaterThan(0);

          const again = await deliverBatch(b.deps, b.t, b.batchNo, FAST_RETRIES);
          // Nothing staged, nothing sent; it reports what the committed rows ended as.
          expect(again).toEqual({ batchNo: b.batchNo, staged: 0, accepted: source.length, rejected: 0, exhausted: 0, skipped: 0 });
          expect((await subject.requestTimestamps()).length, 'the replay of a committed batch reached the destination').toBe(requestsBefore);
          for (const r of source) expect(await subject.countByMatch(r.match.value), r.match.value).toBe(1);
        } finally {
          await releaseLocks(b.deps, b.runId);
        }
      });
    });
  });
}

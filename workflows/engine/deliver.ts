/**
 * deliver: send one batch to the destination and commit each round's outcomes.
 *
 * Safe re-execution (the worker may die at any line):
 * - Rows whose outcome is committed are never re-sent (a replay reads only
 *   pending, retryable and unknown rows).
 * - Every row carries a deterministic idempotency key:
 *   sha256(sync target, record key, content hash, op).
 * - Non-idempotent creates go through the intent ledger: a pending intent is
 *   committed before the create; a pending intent (or an 'unknown' outcome)
 *   found later means lookup() by match key before any create.
 * - A whole-batch failure with applied 'no' is retried (retryable) or split in
 *   halves to isolate bad rows (not retryable); with applied 'unknown' the rows
 *   become unknown and are looked up (records) before being sent again.
 * - Side-effect destinations without idempotency keys (events) never re-send an
 *   unknown outcome: it is reported instead, so nothing is sent twice.
 */
import { hash } from 'node:crypto';
import pg from 'pg';
import {
  isConnectorError,
  type ConnectorError,
  type LookupRequest,
  type Operation,
  type RowResult,
  type WriteRow,
} from '../../connectors/sdk/types';
import {
  commitOutcomes,
  commitWholeBatch,
  excerpt,
  markBatchDone,
  pendingIntents,
  writePendingIntents,
  type OutcomeRow,
  type RowOutcome,
} from './commit';
import { payloadFromCanonical } from './hash';
import { EngineError, type EngineDeps, type LoadedTarget } from './target';
import { stagingTable } from './staging';

export type DeliverOptions = {
  /** Write rounds per batch before retryable rows are reported as exhausted. */
  maxAttempts?: number;
  baseBackoffMs?: number;
  maxBackoffMs?: number;
  /** Called often; activities heartbeat from it. */
  onProgress?: (p: { batchNo: number; sent: number; done: number }) => void;
  signal?: AbortSignal;
  /** Lookups to retry (with backoff) before trusting "not found" from an eventually consistent API. */
  inconsistentLookupRetries?: number;
};

/** `staged` is how many rows this attempt found still to deliver (0 on a replay of a committed batch). */
export type BatchResult = { batchNo: number; staged: number; accepted: number; rejected: number; exhausted: number; skipped: number };

/**
 * A staged row as the batch query returns it: an array, not an object per row
 * (delivery reads every row it sends, and the garbage collector's work grows
 * with what a batch keeps alive).
 */
type StagedRow = [
  recordKey: string,
  label: string | null,
  matchValue: string | null,
  contentHash: string | null,
  payload: string | null,
  op: Operation,
  externalId: string | null,
  outcome: string | null,
];

/**
 * Hands each of the batch's rows still to deliver (no outcome yet, or
 * retryable or unknown; none once the batch is marked done) to `onRow` as it
 * arrives, in key order, and returns how many there were. The rows are not
 * collected into a result first: every row of a batch is read, and the rows
 * a batch keeps alive at once are what the garbage collector copies.
 */
async function readStaged(deps: EngineDeps, runTargetId: string, batchNo: number, onRow: (row: StagedRow) => void): Promise<number> {
  const config: pg.QueryArrayConfig = {
    text: `SELECT record_key, label, match_value, content_hash, payload, op, external_id, outcome FROM ${stagingTable(runTargetId)}
     WHERE run_target_id = $1 AND batch_no = $2 AND (outcome IS NULL OR outcome IN ('retryable', 'unknown'))
       AND NOT EXISTS (SELECT 1 FROM run_batches b WHERE b.run_target_id = $1 AND b.batch_no = $2)
     ORDER BY record_key`,
    values: [runTargetId, batchNo],
    rowMode: 'array',
  };
  // A variable, not a literal: pg's typings leave rowMode out of Query's constructor, though it honours it.
  const query = new pg.Query<StagedRow>(config);
  let count = 0;
  // A row that cannot be turned into a WriteRow fails the read once the query
  // has ended, so the connection goes back to the pool idle.
  let failure: unknown = null;
  query.on('row', (row: StagedRow) => {
    if (failure !== null) return;
    try {
      onRow(row);
      count++;
    } catch (err) {
      failure = err;
    }
  });
  const client = await deps.pool.connect();
  let broken = false;
  try {
    await new Promise<void>((resolve, reject) => {
      query.once('end', () => resolve());
      query.once('error', (err: Error) => {
        broken = true;
        reject(err);
      });
      client.query(query);
    });
  } finally {
    client.release(broken);
  }
  if (failure !== null) throw failure;
  return count;
}

/** Errors that no retry can fix: the run target stops with this message. */
const FATAL_CODES = new Set(['auth', 'permission', 'config', 'schema_changed', 'unsupported']);

export function idempotencyKey(syncTargetId: string, recordKey: string, contentHash: string | null, op: Operation): string {
  // crypto.hash: the one-shot form, over twice as fast as createHash for short input.
  return hash('sha256', `${syncTargetId}\u0000${recordKey}\u0000${contentHash ?? ''}\u0000${op}`, 'hex');
}

const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve) => {
    const t = setTimeout(resolve, ms);
    signal?.addEventListener('abort', () => {
      clearTimeout(t);
      resolve();
    });
  });

function backoff(attempt: number, base: number, max: number, retryAfterMs?: number): number {
  const exp = Math.min(max, base * 2 ** attempt);
  const jittered = exp / 2 + Math.random() * (exp / 2);
  return Math.max(retryAfterMs ?? 0, jittered);
}

/**
 * Every row accepted without an external id, the results in the rows' order
 * (what most connectors return): the batch commits whole, without a lookup per row.
 */
function allAcceptedInOrder(group: readonly string[], results: readonly RowResult[]): boolean {
  if (results.length !== group.length) return false;
  for (let i = 0; i < group.length; i++) {
    const r = results[i]!;
    if (r.recordKey !== group[i] || r.status !== 'accepted' || r.externalId) return false;
  }
  return true;
}

/**
 * Each row's result. The contract is one result a row; a connector that
 * returns several for one row breaks it. Identical ones count once; ones that
 * disagree (accepted and rejected, or two external ids) say nothing certain:
 * the row is in doubt, like a row with no result, rather than settled by
 * whichever came last. Results for keys the group does not hold are ignored.
 */
function resultsByKey(results: readonly RowResult[]): { seen: Map<string, RowResult>; conflicting: Map<string, number> } {
  const seen = new Map<string, RowResult>();
  // Only keys with more than one result are counted: the usual batch has none.
  const repeated = new Map<string, { results: number; disagree: boolean }>();
  for (const r of results) {
    const first = seen.get(r.recordKey);
    if (!first) {
      seen.set(r.recordKey, r);
      continue;
    }
    const rep = repeated.get(r.recordKey) ?? { results: 1, disagree: false };
    rep.results++;
    rep.disagree ||= first.status !== r.status || (first.externalId ?? null) !== (r.externalId ?? null);
    repeated.set(r.recordKey, rep);
  }
  const conflicting = new Map<string, number>();
  for (const [key, rep] of repeated) {
    if (!rep.disagree) continue;
    seen.delete(key);
    conflicting.set(key, rep.results);
  }
  return { seen, conflicting };
}

export async function deliverBatch(deps: EngineDeps, t: LoadedTarget, batchNo: number, opts: DeliverOptions = {}): Promise<BatchResult> {
  const maxAttempts = opts.maxAttempts ?? 6;
  const base = opts.baseBackoffMs ?? 500;
  const max = opts.maxBackoffMs ?? 30_000;
  const { connector, ctx } = t.destination;
  const caps = connector.capabilities;
  const result: BatchResult = { batchNo, staged: 0, accepted: 0, rejected: 0, exhausted: 0, skipped: 0 };

  const fieldsOnlyIfEmpty = t.path.fields.filter((f) => f.onlyIfEmpty).map((f) => f.name);
  // Only the rows to send outlive the read; what the rest of the batch needs
  // from the staged rows is gathered as they arrive.
  const byKey = new Map<string, WriteRow>();
  /** No row has an outcome from an earlier attempt. */
  let untouched = true;
  /** Every row was labelled 'added' (not in sync_state at diff time). */
  let allNew = true;
  const inDoubt = new Set<string>();
  const stagedCount = await readStaged(deps, t.runTargetId, batchNo, ([recordKey, label, matchValue, contentHash, payload, op, externalId, stagedOutcome]) => {
    const fields = payload !== null && op !== 'delete' && op !== 'remove' ? payloadFromCanonical(t.path.fields, payload) : {};
    const row: WriteRow = {
      recordKey,
      op,
      fields,
      match: { field: t.path.matchField, value: matchValue ?? '' },
      idempotencyKey: idempotencyKey(t.syncTargetId, recordKey, contentHash, op),
    };
    // Assigned, not spread: a spread allocates an object per row, and delivery builds every row it sends.
    if (externalId) row.externalId = externalId;
    if (fieldsOnlyIfEmpty.length) row.setOnlyIfEmpty = fieldsOnlyIfEmpty;
    byKey.set(recordKey, row);
    if (label !== 'added') allNew = false;
    if (stagedOutcome !== null) {
      untouched = false;
      if (stagedOutcome === 'unknown') inDoubt.add(recordKey);
    }
  });
  if (stagedCount === 0) {
    // Already committed (a replay, e.g. after the completion was lost): send
    // nothing, and report what the batch's rows ended as.
    const done = await deps.pool.query<{ accepted: number; rejected: number; exhausted: number; skipped: number }>(
      `SELECT
         count(*) FILTER (WHERE r.outcome = 'accepted' OR (r.outcome IS NULL AND b.batch_no IS NOT NULL))::int AS accepted,
         count(*) FILTER (WHERE r.outcome = 'rejected')::int AS rejected,
         count(*) FILTER (WHERE r.outcome = 'exhausted')::int AS exhausted,
         count(*) FILTER (WHERE r.outcome = 'skipped')::int AS skipped
       FROM ${stagingTable(t.runTargetId)} r LEFT JOIN run_batches b ON b.run_target_id = r.run_target_id AND b.batch_no = r.batch_no
       WHERE r.run_target_id = $1 AND r.batch_no = $2`,
      [t.runTargetId, batchNo],
    );
    return { ...result, ...done.rows[0]! };
  }
  result.staged = stagedCount;

  const ledger = !deps.testing?.disableIntentLedger;
  const guardCreates = (op: Operation) => op === 'create' && (caps.writes === 'records' || (caps.writes === 'events' && !caps.idempotencyKey));
  const canLookup = caps.writes === 'records' && typeof connector.lookup === 'function';
  const resendUnknownSafely = (op: Operation) =>
    !(caps.writes === 'events' && !caps.idempotencyKey) && !(op === 'create' && !canLookup && ledger);

  let done = 0;
  let sent = 0;
  const progress = () => opts.onProgress?.({ batchNo, sent, done });
  /** Why each row still in play failed last, for the report if its attempts run out. */
  const lastError = new Map<string, string>();
  const final = async (outcomes: OutcomeRow[]) => {
    await commitOutcomes(deps, t, batchNo, outcomes);
    for (const o of outcomes) {
      if ((o.outcome === 'retryable' || o.outcome === 'unknown') && o.error) lastError.set(o.recordKey, o.error);
      if (o.outcome === 'accepted') result.accepted++;
      else if (o.outcome === 'rejected') result.rejected++;
      else if (o.outcome === 'exhausted') result.exhausted++;
      else if (o.outcome === 'skipped') result.skipped++;
      if (o.outcome !== 'retryable' && o.outcome !== 'unknown') done++;
    }
    progress();
  };
  const outcome = (key: string, o: RowOutcome, extra: Partial<OutcomeRow> = {}): OutcomeRow => {
    const row = byKey.get(key)!;
    return {
      recordKey: key,
      op: row.op,
      outcome: o,
      ...extra,
      ...(o === 'rejected' || o === 'exhausted' ? { payloadExcerpt: excerpt(row.fields) } : {}),
    };
  };

  /** Looks up rows whose create may have happened; returns keys confirmed to exist (now accepted). */
  const resolveByLookup = async (keys: string[]): Promise<Set<string>> => {
    const found = new Set<string>();
    if (keys.length === 0 || !canLookup || !connector.lookup) return found;
    const retries = caps.consistentLookup ? 1 : 1 + (opts.inconsistentLookupRetries ?? 3);
    let remaining = keys;
    for (let i = 0; i < retries && remaining.length; i++) {
      if (i > 0) await sleep(backoff(i, base, max), opts.signal);
      const requests: LookupRequest[] = remaining.map((k) => ({ recordKey: k, match: byKey.get(k)!.match }));
      const results = await connector.lookup(requests, ctx);
      const hits: OutcomeRow[] = [];
      for (const r of results) {
        if (r.externalId !== null && byKey.has(r.recordKey) && !found.has(r.recordKey)) {
          found.add(r.recordKey);
          hits.push(outcome(r.recordKey, 'accepted', { externalId: r.externalId }));
        }
      }
      await final(hits);
      remaining = remaining.filter((k) => !found.has(k));
    }
    return found;
  };

  // 1. Rows in doubt from an earlier attempt: settle them before sending anything.
  let pending = [...byKey.keys()];
  // Only creates go through the intent ledger (guardCreates).
  if (ledger && guardCreates('create')) {
    const creates = pending.filter((k) => byKey.get(k)!.op === 'create');
    for (const k of await pendingIntents(deps, t, creates, 'create')) inDoubt.add(k);
  }
  if (inDoubt.size) {
    const doubtful = [...inDoubt];
    // Existence proves a create happened; for upserts/updates it proves nothing, so those are simply re-sent (idempotent).
    const lookupable = doubtful.filter((k) => canLookup && byKey.get(k)!.op === 'create');
    const found = await resolveByLookup(lookupable);
    const unsafe = doubtful.filter((k) => !found.has(k) && !canLookup && !resendUnknownSafely(byKey.get(k)!.op));
    if (unsafe.length) {
      await final(
        unsafe.map((k) =>
          outcome(k, 'exhausted', {
            error: 'the destination may or may not have received this row (the connection failed mid-request); it was not sent again, to avoid a duplicate — fix: check the destination, then use "retry failed rows"',
          }),
        ),
      );
    }
    pending = pending.filter((k) => !found.has(k) && !unsafe.includes(k));
  }

  // 2. Send in rounds; groups are split when a batch-level error hides bad rows.
  let groups: string[][] = pending.length ? [pending] : [];
  let attempt = 0;
  while (groups.length && attempt < maxAttempts) {
    if (opts.signal?.aborted) break;
    const nextGroups: string[][] = [];
    let waitMs = 0;
    // Rounds that only split groups do not count as attempts.
    let retried = false;
    for (const group of groups) {
      const rows = group.map((k) => byKey.get(k)!);
      if (ledger) await writePendingIntents(deps, t, rows.filter((r) => guardCreates(r.op)));
      let results: RowResult[];
      try {
        sent += rows.length;
        progress();
        results = await connector.write(rows, ctx);
      } catch (err) {
        if (!isConnectorError(err)) throw err;
        const e: ConnectorError = err;
        if (FATAL_CODES.has(e.code) || (e.code === 'not_found' && !e.recordId && group.length === pending.length)) {
          throw new EngineError(`${ctx.connectionName}: ${e.message}`);
        }
        if (e.applied === 'unknown') {
          await final(group.map((k) => outcome(k, 'unknown', { error: e.message })));
          const found = await resolveByLookup(group.filter((k) => canLookup && byKey.get(k)!.op === 'create'));
          const left = group.filter((k) => !found.has(k));
          const unsafe = left.filter((k) => !canLookup && !resendUnknownSafely(byKey.get(k)!.op));
          if (unsafe.length) {
            await final(
              unsafe.map((k) =>
                outcome(k, 'exhausted', {
                  error: `${e.message}; the destination may have received this row, so it was not sent again — fix: check the destination, then retry failed rows`,
                }),
              ),
            );
          }
          const retry = left.filter((k) => !unsafe.includes(k));
          if (retry.length) nextGroups.push(retry);
          retried = true;
          waitMs = Math.max(waitMs, backoff(attempt, base, max, e.retryAfterMs));
        } else if (e.retryable) {
          // Nothing is committed for these rows this round: their cause is kept here only.
          for (const k of group) lastError.set(k, e.message);
          nextGroups.push(group);
          retried = true;
          waitMs = Math.max(waitMs, backoff(attempt, base, max, e.retryAfterMs));
        } else if (group.length > 1) {
          // Not applied and not retryable: bisect to find the rows the API refuses.
          const mid = Math.ceil(group.length / 2);
          nextGroups.push(group.slice(0, mid), group.slice(mid));
        } else {
          await final([outcome(group[0]!, 'rejected', { error: e.message, field: e.field ?? null })]);
        }
        continue;
      }

      if (untouched && group.length === stagedCount && allAcceptedInOrder(group, results)) {
        await commitWholeBatch(deps, t, batchNo, rows[0]!.op, group, ledger && guardCreates(rows[0]!.op), allNew);
        result.accepted += group.length;
        done += group.length;
        progress();
        continue;
      }
      const { seen, conflicting } = resultsByKey(results);
      const settled: OutcomeRow[] = [];
      const retry: string[] = [];
      const unknown: string[] = [];
      for (const key of group) {
        const r = seen.get(key);
        if (!r) unknown.push(key);
        else if (r.status === 'accepted') settled.push(outcome(key, 'accepted', { externalId: r.externalId ?? null }));
        else if (r.status === 'rejected') settled.push(outcome(key, 'rejected', { error: r.message ?? 'rejected', field: r.field ?? null }));
        else {
          retry.push(key);
          if (r.retryAfterMs) waitMs = Math.max(waitMs, r.retryAfterMs);
        }
      }
      await final([
        ...settled,
        ...retry.map((k) => outcome(k, 'retryable', { error: seen.get(k)?.message ?? 'retryable' })),
        ...unknown.map((k) => {
          const n = conflicting.get(k);
          const error = n
            ? `the ${connector.displayName} connector returned ${n} results for this row that disagree (a bug in the connector; report it)`
            : 'the destination returned no result for this row';
          return outcome(k, 'unknown', { error });
        }),
      ]);
      // A row without a result may have been applied: look it up before sending again.
      const found = await resolveByLookup(unknown.filter((k) => byKey.get(k)!.op === 'create'));
      const again = [...retry, ...unknown.filter((k) => !found.has(k) && resendUnknownSafely(byKey.get(k)!.op))];
      const unsafe = unknown.filter((k) => !found.has(k) && !resendUnknownSafely(byKey.get(k)!.op));
      if (unsafe.length) await final(unsafe.map((k) => outcome(k, 'exhausted', { error: 'no result returned; not sent again to avoid a duplicate' })));
      if (again.length) {
        nextGroups.push(again);
        retried = true;
        waitMs = Math.max(waitMs, backoff(attempt, base, max));
      }
    }
    groups = nextGroups;
    if (retried) attempt++;
    if (groups.length && waitMs > 0) await sleep(waitMs, opts.signal);
  }

  // 3. Whatever is still pending after the last round is reported, not dropped.
  const leftover = groups.flat();
  const closeBatch = () => markBatchDone(deps, t.runTargetId, batchNo);
  if (leftover.length) {
    const reason = opts.signal?.aborted ? 'skipped' : 'exhausted';
    await final(
      leftover.map((k) =>
        outcome(k, reason, {
          error:
            reason === 'skipped'
              ? 'the run was cancelled before this row was delivered'
              : `still failing after ${maxAttempts} attempts${lastError.has(k) ? ` (last: ${lastError.get(k)})` : ''}; it will be retried on the next run`,
        }),
      ),
    );
  }
  if (!opts.signal?.aborted) await closeBatch();
  return result;
}

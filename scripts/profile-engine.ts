/**
 * `tsx scripts/profile-engine.ts [rows]` — times each sync phase (pin, extract,
 * diff, deliver, finalize) in-process, without Temporal, for a first sync and
 * for an incremental run after 1% of rows changed. A developer tool for finding
 * where time goes; `npm run bench` is the measurement of record.
 *
 *   PROFILE_SERVER_URL  PostgreSQL server (default postgresql://postgres@127.0.0.1:5432);
 *                       the script recreates database bf_prof on it
 *   CONC                batches delivered concurrently (default 1)
 *   DUCKDB_MEMORY       the DuckDB source's memoryLimit (default 256MB)
 *   DUCKDB_THREADS      its threads (default 2)
 *   MODEL               'bench' for npm run bench's 8-field model and 1% change
 *                       (scripts/lib/bench-model.ts); else a 4-field people table
 *   SOURCE              'postgres' to read the bench model (MODEL=bench) from
 *                       database bf_prof_src on the same server; else DuckDB
 *
 * Each phase prints its time and the process's peak RSS and V8 heap during it.
 */
import { DuckDBInstance } from '@duckdb/node-api';
import pg from 'pg';
import { randomBytes } from 'node:crypto';
import { setEnvValue } from '../app/_server/env';
setEnvValue('BACKFLOW_ENCRYPTION_KEY', randomBytes(32).toString('base64'));
setEnvValue('NEXTAUTH_SECRET', randomBytes(32).toString('base64'));
const { createDb } = await import('../app/_server/db');
const { createPgPool } = await import('../app/_server/pg');
const { createLimiterFactory } = await import('../workflows/engine/limiter');
const { applyMigrations } = await import('../prisma/migrate');
const { createConnection, createPipelineWithPlan, duckdbSql } = await import('../test/helpers/pipelines');
const { pin } = await import('../workflows/engine/pin');
const { loadTarget } = await import('../workflows/engine/target');
const { extract } = await import('../workflows/engine/extract');
const { diff } = await import('../workflows/engine/diff');
const { deliverBatch } = await import('../workflows/engine/deliver');
const { finalizeTarget } = await import('../workflows/engine/finalize');
const N = Number(process.argv[2] ?? 100000);
const server = process.env.PROFILE_SERVER_URL ?? 'postgresql://postgres@127.0.0.1:5432';
const admin = new pg.Client({ connectionString: `${server}/postgres` }); await admin.connect();
await admin.query('DROP DATABASE IF EXISTS bf_prof WITH (FORCE)'); await admin.query('CREATE DATABASE bf_prof'); await admin.end();
const url = `${server}/bf_prof`;
await applyMigrations(url);
{ const c = new pg.Client({ connectionString: url }); await c.connect(); await c.query('ALTER DATABASE bf_prof SET log_min_duration_statement = 100'); await c.end(); }
const db = createDb(url); const pool = createPgPool(url);
const deps = { db, pool, limiterFactory: createLimiterFactory(pool) };
const wh = '/tmp/prof.duckdb';
const dsql = async (sqls: string[]) => { const i = await DuckDBInstance.create(wh); const c = await i.connect(); for (const s of sqls) await c.run(s); c.closeSync(); i.closeSync(); };
const benchModel = process.env.MODEL === 'bench';
const model = await import('./lib/bench-model');
const pgSource = process.env.SOURCE === 'postgres';
if (pgSource && !benchModel) throw new Error('SOURCE=postgres needs MODEL=bench');
const srcUrl = `${server}/bf_prof_src`;
/** Runs statements on the PostgreSQL source database. */
const psql = async (sqls: string[]) => { const c = new pg.Client({ connectionString: srcUrl }); await c.connect(); for (const s of sqls) await c.query(s); await c.end(); };
if (pgSource) {
  const a = new pg.Client({ connectionString: `${server}/postgres` }); await a.connect();
  await a.query('DROP DATABASE IF EXISTS bf_prof_src WITH (FORCE)'); await a.query('CREATE DATABASE bf_prof_src'); await a.end();
  await psql([`CREATE TABLE ${model.TABLE} AS ${model.modelSelect('postgres', 1, N + 1)}`, `VACUUM ANALYZE ${model.TABLE}`, 'ALTER DATABASE bf_prof_src SET log_min_duration_statement = 100']);
} else await dsql([benchModel ? `CREATE OR REPLACE TABLE ${model.TABLE} AS ${model.modelSelect('duckdb', 1, N + 1)}` : `CREATE OR REPLACE TABLE people AS SELECT i AS id, 'user'||i||'@x.com' AS email, round(i*1.5,2) AS score, i%3=0 AS active, TIMESTAMP '2026-01-01' + to_seconds(i) AS updated_at FROM range(1, ${N}+1) t(i)`]);
const ws = await db.workspace.create({ data: { name: 'p', slug: 'p' + Date.now() } });
const srcServer = new URL(srcUrl);
const src = pgSource
  ? await createConnection(db, ws.id, { kind: 'source', connector: 'postgres', config: { host: srcServer.hostname, port: Number(srcServer.port || 5432), database: 'bf_prof_src', user: decodeURIComponent(srcServer.username || 'postgres'), ssl: 'disable' }, credentials: { password: decodeURIComponent(srcServer.password) } })
  : await createConnection(db, ws.id, { kind: 'source', connector: 'duckdb', config: { path: wh, memoryLimit: process.env.DUCKDB_MEMORY ?? '256MB', threads: Number(process.env.DUCKDB_THREADS ?? 2) } });
const dialect = pgSource ? 'postgres' : 'duckdb';
const sink = await createConnection(db, ws.id, { kind: 'destination', connector: 'noop-sink', config: {} });
const peopleFields = [
 { name: 'email', type: 'string', whenNull: 'send_null', onlyIfEmpty: false }, { name: 'score', type: 'number', whenNull: 'omit', onlyIfEmpty: false }, { name: 'active', type: 'boolean', whenNull: 'send_null', onlyIfEmpty: false }, { name: 'updated_at', type: 'timestamp', whenNull: 'send_null', onlyIfEmpty: false }] as const;
const { pipeline } = await createPipelineWithPlan(db, ws.id, () => [{ id: 'dest', source: { connectionId: src.id, dialect },
 sql: benchModel ? model.planSql(dialect) : duckdbSql('people', 'id', ['email','score','active','updated_at']),
 fields: (benchModel ? model.FIELDS : peopleFields).map((f) => ({ ...f })),
 matchField: 'email', destination: { connectionId: sink.id, connector: 'noop-sink', object: 'records', mode: 'mirror', options: {} } }]);
const rss = () => { const st = require_fs().readFileSync("/proc/self/status", "utf8"); return `${Math.round(Number(/VmRSS:\s+(\d+)/.exec(st)![1]) / 1024)} hwm=${Math.round(Number(/VmHWM:\s+(\d+)/.exec(st)![1]) / 1024)}`; };
function require_fs() { return fsmod; }
const fsmod = await import('node:fs');
/** CPU time: this process's (µs) and the whole machine's busy time (ms, from /proc/stat; mostly PostgreSQL besides this process). */
function cpuNow(): { self: number; busy: number } {
  const u = process.cpuUsage();
  const f = fsmod.readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
  const ticks = f.reduce((a, b) => a + b, 0) - f[3]! - f[4]!;
  return { self: u.user + u.system, busy: ticks * 10 };
}
// Peak memory per phase, sampled every 50 ms (MB).
let peak = { rss: 0, heapTotal: 0, heapUsed: 0, external: 0 };
const sampler = setInterval(() => {
  const m = process.memoryUsage();
  const mb = (b: number) => Math.round(b / 2 ** 20);
  peak = { rss: Math.max(peak.rss, mb(m.rss)), heapTotal: Math.max(peak.heapTotal, mb(m.heapTotal)), heapUsed: Math.max(peak.heapUsed, mb(m.heapUsed)), external: Math.max(peak.external, mb(m.external)) };
}, 50);
for (const round of [1, 2]) {
if (round === 2) { const { closeDuckDbInstances } = await import('../connectors/sources/duckdb'); closeDuckDbInstances(); await new Promise(r => setTimeout(r, 1200));
  if (pgSource) await psql(model.changeStatements('postgres', N, model.plannedChange(N)));
  else await dsql(benchModel ? model.changeStatements('duckdb', N, model.plannedChange(N)) : [`UPDATE people SET score = score + 1000 WHERE id % 100 = 7`]); }
let t = Date.now(); let cpu = cpuNow(); const lap = (m: string) => { const n = Date.now(); const c = cpuNow(); console.log(`${round} ${m}: ${n - t} ms cpu: this process ${((c.self - cpu.self) / 1000).toFixed(0)} ms, other processes ${((c.busy - cpu.busy) - (c.self - cpu.self) / 1000).toFixed(0)} ms; rss=${rss()}MB peak in phase: rss=${peak.rss} heapTotal=${peak.heapTotal} heapUsed=${peak.heapUsed} external=${peak.external}`); t = n; cpu = c; peak = { rss: 0, heapTotal: 0, heapUsed: 0, external: 0 }; };
const p = await pin(deps, { runId: 'r' + round + Date.now(), pipelineId: pipeline.id, trigger: 'manual' }); lap('pin');
if (!p.ok) throw new Error(p.reason);
const lt = await loadTarget(deps, p.targets[0]!.runTargetId); lap("load"); if (process.env.LOADS) { for (let i = 0; i < 100; i++) await loadTarget(deps, p.targets[0]!.runTargetId); lap("100 loads"); }
const ex = await extract(deps, lt, 'upsert', 10000); lap(`extract ${ex.extracted}`);
// What the extract activity records (workflows/temporal/activities.ts): finalize's counts need it.
await db.runTarget.update({ where: { id: lt.runTargetId }, data: { phase: 'diff', queried: ex.extracted, unstagedUnchanged: ex.unstagedUnchanged } });
const d = await diff(deps, lt, { objectUpsert: true, labelled: ex.labelled, merged: ex.merged, committedRows: ex.committedRows, deletesConfirmed: false, batchSize: 10000 }); lap(`diff batches=${d.batches} added=${d.added} changed=${d.changed}`);
{ const C = Number(process.env.CONC ?? 1); let next = 0; await Promise.all(Array.from({ length: C }, async () => { while (next < d.batches) { const b = next++; await deliverBatch(deps, lt, b); } })); } lap('deliver');
const f = await finalizeTarget(deps, { runTargetId: lt.runTargetId }); lap(`finalize`);
await db.run.update({ where: { id: p.runId }, data: { status: 'succeeded' } });
await pool.query('DELETE FROM sync_locks');
}
clearInterval(sampler);
await pool.end(); await db.$disconnect();

import pg from 'pg';
import { mergeQuery } from '/work/main/workflows/engine/extract-sql';
const F = [['email','string'],['first_name','string'],['country','string'],['lifetime_value','number'],['orders','integer'],['churn_risk','number'],['vip','boolean'],['signed_up_at','timestamp']];
const FIELDS = F.map(([name, type]) => ({ name, type, whenNull: 'send_null', onlyIfEmpty: false }));
const path = { id: 'd', nodeIds: [], source: { connectionId: 'x', dialect: 'postgres' }, sql: `SELECT CAST(id AS TEXT) AS "__bf_record_key", ${F.map(([n]) => `"${n}"`).join(', ')} FROM bench_customers`, primaryKey: ['id'], fields: FIELDS, matchField: 'email', destination: { connectionId: 'y', connector: 'noop-sink', object: 'records', mode: 'mirror', options: {} } } as any;
const admin = new pg.Client({ connectionString: 'postgresql://postgres@127.0.0.1:5432/postgres' }); await admin.connect();
const exists = (await admin.query(`SELECT 1 FROM pg_database WHERE datname = 'benchsrc'`)).rowCount;
if (!exists) await admin.query('CREATE DATABASE benchsrc'); await admin.end();
const c = new pg.Client({ connectionString: 'postgresql://postgres@127.0.0.1:5432/benchsrc' }); await c.connect();
if (!(await c.query(`SELECT 1 FROM pg_tables WHERE tablename = 'bench_customers'`)).rowCount) {
  await c.query(`CREATE TABLE bench_customers AS SELECT id::BIGINT AS id, 'user' || id || '@example.com' AS email, 'Name' || (id % 997) AS first_name, (ARRAY['US','GB','DE','FR','ES','IT','NL','SE','PL','BR'])[1 + (id % 10)::INTEGER] AS country,
    round(((id * 7919) % 100000) / 37.0, 2)::DECIMAL(12, 2) AS lifetime_value, (id % 53)::INTEGER AS orders,
    round(((id * 104729) % 1000) / 1000.0, 3)::DOUBLE PRECISION AS churn_risk, (id % 7 = 0) AS vip,
    TIMESTAMP '2024-01-01 00:00:00' + (id % 86400) * INTERVAL '1 second' AS signed_up_at FROM generate_series(1::BIGINT, 1000000) AS t(id)`);
  await c.query('ALTER TABLE bench_customers ADD PRIMARY KEY (id)'); await c.query('ANALYZE bench_customers');
}
let q = mergeQuery('postgres', path);
if (process.env.SHOW) console.log(q);
const t = Date.now();
const r = await c.query(`EXPLAIN (ANALYZE, COSTS OFF) ${process.env.WRAP ? `SELECT count(*) FROM (${q}) z` : q}`);
console.log(r.rows.map((x) => x['QUERY PLAN']).join('\n'), '\nms', Date.now() - t);
await c.end();

import pg from 'pg';
import { mergeQuery, payloadQuery } from './workflows/engine/extract-sql';
const FIELDS = [
  { name: 'email', type: 'string' }, { name: 'first_name', type: 'string' }, { name: 'country', type: 'string' },
  { name: 'lifetime_value', type: 'number' }, { name: 'orders', type: 'integer' }, { name: 'churn_risk', type: 'number' },
  { name: 'vip', type: 'boolean' }, { name: 'signed_up_at', type: 'timestamp' }].map((f) => ({ ...f, whenNull: 'send_null', onlyIfEmpty: false }));
const path = { id: 'd', nodeIds: [], source: { connectionId: 'x', dialect: 'postgres' }, sql: `SELECT CAST(id AS TEXT) AS "__bf_record_key", ${FIELDS.map((f) => `"${f.name}"`).join(', ')} FROM bench_customers`, primaryKey: ['id'], fields: FIELDS, matchField: 'email', destination: { connectionId: 'y', connector: 'noop-sink', object: 'records', mode: 'mirror', options: {} } } as any;
const c = new pg.Client({ connectionString: 'postgresql://postgres@127.0.0.1:5432/test' });
await c.connect();
const keys = Array.from({ length: 20000 }, (_, i) => String(1 + i * 37));
const q = process.argv[2] === 'payload' ? payloadQuery('postgres', path, keys) : mergeQuery('postgres', path);
const t = Date.now();
const r = await c.query(`EXPLAIN (ANALYZE, COSTS OFF) ${q}`);
console.log(r.rows.map((x) => x['QUERY PLAN']).join('\n').split('\n').filter(l => !l.includes('VALUES') || l.length < 200).join('\n').slice(0, 3000), Date.now() - t);
await c.end();

/**
 * PostgreSQL table destination against the real PostgreSQL of the test run.
 *
 * Between the connector and the server sits a small TEST PROXY (wire
 * protocol v3), because two things cannot be produced by the server itself:
 *   - password authentication — the local server trusts every local login, so
 *     the proxy asks for the password (as pgbouncer does) and answers a wrong
 *     one with the server's own 28P01 error;
 *   - network faults around COMMIT — `drop_after_apply` forwards COMMIT and
 *     cuts the connection before the answer reaches the client; `timeout`
 *     swallows COMMIT, so the client gives up not knowing (and the server,
 *     which never saw COMMIT, rolls back when the connection closes).
 * Server-side faults come from the server: a statement trigger raises SQLSTATE
 * 53300 (too many connections) or 58000 (system error) once, counting with a
 * sequence so the count survives the rollback. Statement-level AFTER triggers
 * with transition tables log how many rows each write statement carried.
 */
import net from 'node:net';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { closePostgresDestinationPools, postgresDestination } from '../../../connectors/destinations/postgres';
import { isConnectorError, type JsonValue, type SyncMode, type WriteRow } from '../../../connectors/sdk/types';
import { testWriteContext } from '../../helpers/connector-context';
import { describeConformance } from '../conformance';
import type { ConformanceSubject, FaultKind } from '../conformance-subject';

const PASSWORD = 'right-password';

function target() {
  const u = new URL(inject('databaseUrl'));
  return { host: u.hostname, port: Number(u.port || 5432), database: decodeURIComponent(u.pathname.slice(1)), user: decodeURIComponent(u.username) };
}

// ───────────────────────────── test proxy ─────────────────────────────

type ProxyFault = 'drop_after_apply' | 'timeout';

class PgTestProxy {
  private server = net.createServer((client) => this.accept(client));
  private sockets = new Set<net.Socket>();
  fault: ProxyFault | null = null;
  /** When each write transaction began (BEGIN, as the server received it). */
  begins: number[] = [];
  port = 0;

  constructor(private upstream: { host: string; port: number }) {}

  async start(): Promise<void> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.port = (this.server.address() as net.AddressInfo).port;
  }

  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private track(s: net.Socket) {
    this.sockets.add(s);
    s.on('close', () => this.sockets.delete(s));
    s.on('error', () => {});
  }

  private accept(client: net.Socket) {
    this.track(client);
    let buf = Buffer.alloc(0);
    let stage: 'startup' | 'password' | 'relay' = 'startup';
    let startup: Buffer | null = null;
    let user = '';
    let upstream: net.Socket | null = null;
    let blackhole = false;
    let dropOnReply = false;

    const toServer = (msg: Buffer) => {
      if (blackhole) return;
      if (msg[0] === 0x51 /* Q */) {
        const sql = msg.subarray(5, msg.length - 1).toString('utf8');
        if (sql.startsWith('BEGIN') && !sql.includes('READ ONLY')) this.begins.push(Date.now());
        if (sql === 'COMMIT' && this.fault) {
          const fault = this.fault;
          this.fault = null;
          if (fault === 'timeout') {
            blackhole = true; // COMMIT never arrives; the client waits, then gives up
            return;
          }
          dropOnReply = true;
        }
      }
      upstream!.write(msg);
    };

    const openUpstream = () => {
      upstream = net.connect(this.upstream.port, this.upstream.host);
      this.track(upstream);
      upstream.on('data', (d) => {
        if (dropOnReply) {
          // The server committed; its answer is lost with the connection.
          client.destroy();
          upstream!.destroy();
          return;
        }
        client.write(d);
      });
      upstream.on('close', () => client.destroy());
      client.on('close', () => upstream!.destroy());
      upstream.write(startup!);
    };

    client.on('data', (chunk) => {
      buf = Buffer.concat([buf, chunk]);
      for (;;) {
        if (stage === 'startup') {
          if (buf.length < 8) return;
          const len = buf.readInt32BE(0);
          if (buf.length < len) return;
          const msg = buf.subarray(0, len);
          buf = buf.subarray(len);
          const code = msg.readInt32BE(4);
          if (code === 80877103 /* SSLRequest */) {
            client.write('N');
            continue;
          }
          startup = Buffer.from(msg);
          const params = msg.subarray(8).toString('utf8').split('\0');
          user = params[params.indexOf('user') + 1] ?? '';
          // AuthenticationCleartextPassword
          const ask = Buffer.alloc(9);
          ask.write('R', 0);
          ask.writeInt32BE(8, 1);
          ask.writeInt32BE(3, 5);
          client.write(ask);
          stage = 'password';
          continue;
        }
        if (buf.length < 5) return;
        const len = buf.readInt32BE(1) + 1;
        if (buf.length < len) return;
        const msg = Buffer.from(buf.subarray(0, len));
        buf = buf.subarray(len);
        if (stage === 'password') {
          const given = msg.subarray(5, msg.length - 1).toString('utf8');
          if (msg[0] !== 0x70 /* p */ || given !== PASSWORD) {
            client.end(errorResponse('28P01', `password authentication failed for user "${user}"`));
            return;
          }
          stage = 'relay';
          openUpstream();
          continue;
        }
        toServer(msg);
      }
    });
  }
}

function errorResponse(code: string, message: string): Buffer {
  const fields = Buffer.from(`SFATAL\0VFATAL\0C${code}\0M${message}\0\0`, 'utf8');
  const head = Buffer.alloc(5);
  head.write('E', 0);
  head.writeInt32BE(fields.length + 4, 1);
  return Buffer.concat([head, fields]);
}

// ───────────────────────────── fixtures ─────────────────────────────

async function admin(): Promise<pg.Client> {
  const t = target();
  const c = new pg.Client({ ...t });
  await c.connect();
  return c;
}

const q = (s: string) => `"${s.replace(/"/g, '""')}"`;

/** Fault trigger and statement log on a table (see the header comment). */
async function instrument(c: pg.Client, schema: string, table: string): Promise<void> {
  const s = q(schema);
  const t = `${s}.${q(table)}`;
  await c.query(`
    CREATE TABLE ${s}.bf_faults (kind text NOT NULL, sqlstate text NOT NULL, budget int NOT NULL);
    CREATE SEQUENCE ${s}.bf_fault_seq;
    CREATE TABLE ${s}.bf_stmt_log (id bigserial, xid bigint, ts timestamptz, n int);
    CREATE FUNCTION ${s}.bf_fault() RETURNS trigger LANGUAGE plpgsql AS $$
    DECLARE f record;
    BEGIN
      SELECT * INTO f FROM ${s}.bf_faults LIMIT 1;
      IF FOUND AND nextval('${s}.bf_fault_seq') <= f.budget THEN
        RAISE EXCEPTION 'injected fault: %', f.kind USING ERRCODE = f.sqlstate;
      END IF;
      RETURN NULL;
    END $$;
    CREATE FUNCTION ${s}.bf_log_new() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      INSERT INTO ${s}.bf_stmt_log (xid, ts, n) SELECT txid_current(), statement_timestamp(), count(*) FROM new_rows;
      RETURN NULL;
    END $$;
    CREATE FUNCTION ${s}.bf_log_old() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      INSERT INTO ${s}.bf_stmt_log (xid, ts, n) SELECT txid_current(), statement_timestamp(), count(*) FROM old_rows;
      RETURN NULL;
    END $$;
    CREATE TRIGGER bf_fault BEFORE INSERT OR UPDATE OR DELETE ON ${t} FOR EACH STATEMENT EXECUTE FUNCTION ${s}.bf_fault();
    CREATE TRIGGER bf_log_ins AFTER INSERT ON ${t} REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION ${s}.bf_log_new();
    CREATE TRIGGER bf_log_upd AFTER UPDATE ON ${t} REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION ${s}.bf_log_new();
    CREATE TRIGGER bf_log_del AFTER DELETE ON ${t} REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION ${s}.bf_log_old();
  `);
}

async function statementSizes(c: pg.Client, schema: string): Promise<number[]> {
  const r = await c.query<{ n: string }>(`SELECT sum(n) AS n FROM ${q(schema)}.bf_stmt_log GROUP BY xid, ts ORDER BY min(id)`);
  return r.rows.map((x) => Number(x.n));
}

// ───────────────────────────── conformance ─────────────────────────────

function conformanceSubject(): ConformanceSubject {
  const schema = 'pgdest_conformance';
  let proxy: PgTestProxy;
  let db: pg.Client;
  const row = (i: number) => ({
    recordKey: `k${i}`,
    fields: { email: `user${i}@example.com`, name: `User ${i}`, plan: i % 2 ? 'pro' : 'free', seats: i },
    match: { field: 'email', value: `user${i}@example.com` },
  });
  return {
    name: 'postgres table',
    connector: postgresDestination,
    object: 'contacts',
    mode: 'mirror',
    // PostgreSQL's documented limit is 65,535 bind parameters per statement; these rows bind 4 each.
    apiMaxBatch: Math.floor(65_535 / 4),
    // Each write is a transaction that also introspects the table (over 100 ms here): two processes
    // cannot reach the declared 50/s, so the rate-limit check shares a budget they do exceed.
    testRateLimit: 5,
    async start() {
      db = await admin();
      await db.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE; CREATE SCHEMA ${schema};
        CREATE TABLE ${schema}.contacts (id bigserial PRIMARY KEY, email text NOT NULL UNIQUE, name text NOT NULL, plan text, seats int)`);
      await instrument(db, schema, 'contacts');
      const t = target();
      proxy = new PgTestProxy({ host: t.host, port: t.port });
      await proxy.start();
      const config = { host: '127.0.0.1', port: proxy.port, database: t.database, user: t.user, schema, statementTimeoutMs: 1500 };
      return {
        config,
        credentials: { password: PASSWORD },
        badCredentials: { password: 'wrong-password' },
        options: {},
        async stop() {
          await closePostgresDestinationPools();
          await proxy.close();
          await db.end();
        },
      };
    },
    row,
    invalidRow: (i) => ({ row: { ...row(i), fields: { ...row(i).fields, name: null } }, field: 'name' }),
    async countByMatch(value) {
      const r = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${schema}.contacts WHERE email = $1`, [value]);
      return r.rows[0]!.n;
    },
    writeRequestSizes: () => statementSizes(db, schema),
    requestTimestamps: async () => [...proxy.begins],
    async injectFault(kind: FaultKind) {
      if (kind === 'drop_after_apply' || kind === 'timeout') {
        proxy.fault = kind;
        return;
      }
      await db.query(`DELETE FROM ${schema}.bf_faults; SELECT setval('${schema}.bf_fault_seq', 1, false)`);
      await db.query(`INSERT INTO ${schema}.bf_faults VALUES ($1, $2, 1)`, [kind, kind === 'rate_limited' ? '53300' : '58000']);
    },
    async reset() {
      proxy.fault = null;
      proxy.begins = [];
      await db.query(`TRUNCATE ${schema}.contacts, ${schema}.bf_stmt_log; DELETE FROM ${schema}.bf_faults`);
    },
  };
}

describeConformance(conformanceSubject());

// ───────────────────────────── specific ─────────────────────────────

describe('postgres table destination', () => {
  let db: pg.Client;
  const schema = 'pgdest_specific';

  beforeAll(async () => {
    db = await admin();
    await db.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE; CREATE SCHEMA ${schema}`);
  });
  afterAll(async () => {
    await closePostgresDestinationPools();
    await db.end();
  });

  function ctx(object: string, opts: { mode?: SyncMode; schema?: string; createTable?: boolean; name?: string } = {}) {
    const t = target();
    const c = testWriteContext(postgresDestination, {
      credentials: { password: '' },
      config: postgresDestination.configSchema.parse({ ...t, schema: opts.schema ?? schema }),
      object,
      mode: opts.mode ?? 'upsert',
      options: postgresDestination.optionsSchema.parse({ createTable: opts.createTable ?? false }),
    });
    return { ...c, connectionName: opts.name ?? 'Analytics DB' };
  }

  function rows(n: number, fields: (i: number) => Record<string, JsonValue>, op: WriteRow['op'] = 'upsert'): WriteRow[] {
    return Array.from({ length: n }, (_, i) => {
      const f = fields(i);
      return { recordKey: `r${i}`, op, fields: f, match: { field: 'email', value: String(f.email) }, idempotencyKey: `k${i}` };
    });
  }

  it('isolates a bad row: one NOT NULL violation among 100 rows → 99 accepted, 1 rejected naming its column', async () => {
    await db.query(`CREATE TABLE ${schema}.people (id serial PRIMARY KEY, email text UNIQUE NOT NULL, name text NOT NULL, age int)`);
    await instrument(db, schema, 'people');
    const batch = rows(100, (i) => ({ email: `p${i}@x.io`, name: i === 42 ? null : `P${i}`, age: i }));
    const results = await postgresDestination.write(batch, ctx('people'));
    expect(results).toHaveLength(100);
    expect(results.filter((r) => r.status === 'accepted')).toHaveLength(99);
    const bad = results.find((r) => r.status === 'rejected');
    expect(bad).toMatchObject({ recordKey: 'r42', field: 'name' });
    expect(bad!.message).toContain('Analytics DB');
    expect(bad!.message).toContain('column "name"');
    expect(bad!.message).toContain('fix:');
    expect(bad!.message).not.toContain('Failing row contains');
    const count = await db.query(`SELECT count(*)::int AS n FROM ${schema}.people`);
    expect(count.rows[0].n).toBe(99);
    // One multi-row statement failed (rolled back), then the rows went one by one.
    expect((await statementSizes(db, schema)).filter((n) => n > 0)).toHaveLength(99);
    // External ids are the primary key.
    const ids = await db.query<{ email: string; id: number }>(`SELECT email, id FROM ${schema}.people`);
    const byEmail = new Map(ids.rows.map((r) => [r.email, String(r.id)]));
    expect(results[0]!.externalId).toBe(byEmail.get('p0@x.io'));
  });

  it('names the column for type, length and unique errors', async () => {
    await db.query(`CREATE TABLE ${schema}.typed (email text PRIMARY KEY, code varchar(3), age int, nick text UNIQUE)`);
    await db.query(`INSERT INTO ${schema}.typed VALUES ('taken@x.io', 'a', 1, 'taken')`);
    const results = await postgresDestination.write(
      [
        ...rows(1, () => ({ email: 'a@x.io', code: 'abcd', age: 1 })),
        { ...rows(1, () => ({ email: 'b@x.io', code: 'ok', age: 'many' }))[0]!, recordKey: 'r1' },
        { ...rows(1, () => ({ email: 'c@x.io', nick: 'taken' }))[0]!, recordKey: 'r2' },
        { ...rows(1, () => ({ email: 'd@x.io', code: 'ok', age: 4 }))[0]!, recordKey: 'r3' },
      ],
      ctx('typed'),
    );
    expect(results.map((r) => [r.status, r.field])).toEqual([
      ['rejected', 'code'],
      ['rejected', 'age'],
      ['rejected', 'nick'],
      ['accepted', undefined],
    ]);
    expect(results[0]!.message).toContain('value too long for type character varying(3)');
    expect(results[1]!.message).toContain('invalid input syntax for type integer: "many"');
  });

  it('quotes every identifier: hostile schema, table and column names are written safely', async () => {
    const evilSchema = 'odd"schema; DROP TABLE canary; --';
    const evilTable = 'Table "with" quotes';
    await db.query(`CREATE TABLE ${schema}.canary (x int)`);
    await db.query(`CREATE SCHEMA ${q(evilSchema)}`);
    await db.query(`CREATE TABLE ${q(evilSchema)}.${q(evilTable)} (${q('e"mail')} text PRIMARY KEY, ${q("name'); DROP TABLE x; --")} text)`);
    const c = ctx(evilTable, { schema: evilSchema });
    const row: WriteRow = {
      recordKey: 'r1',
      op: 'upsert',
      fields: { 'e"mail': 'q@x.io', "name'); DROP TABLE x; --": "O'Brien \"Bobby\"" },
      match: { field: 'e"mail', value: 'q@x.io' },
      idempotencyKey: 'k',
    };
    expect((await postgresDestination.write([row], c))[0]).toMatchObject({ status: 'accepted', externalId: 'q@x.io' });
    const stored = await db.query(`SELECT * FROM ${q(evilSchema)}.${q(evilTable)}`);
    expect(stored.rows).toEqual([{ 'e"mail': 'q@x.io', "name'); DROP TABLE x; --": "O'Brien \"Bobby\"" }]);
    expect(await postgresDestination.lookup!([{ recordKey: 'r1', match: row.match }], c)).toEqual([{ recordKey: 'r1', externalId: 'q@x.io' }]);
    const discovered = await postgresDestination.discover(c);
    expect(discovered.objects.map((o) => o.name)).toEqual([evilTable]);
    expect((await db.query(`SELECT to_regclass('${schema}.canary') IS NOT NULL AS ok`)).rows[0].ok).toBe(true);
  });

  it('a missing table or column fails the write with the connection, table, column and a fix', async () => {
    const err = await postgresDestination.write(rows(1, () => ({ email: 'a@x.io' })), ctx('no_such_table')).catch((e: unknown) => e);
    expect(isConnectorError(err)).toBe(true);
    expect(err).toMatchObject({ code: 'not_found', retryable: false, applied: 'no' });
    expect(String((err as Error).message)).toBe(
      `Analytics DB: table "${schema}"."no_such_table" does not exist — fix: create it, enable "create table" in the sync options, or pick another table and refresh the destination`,
    );

    await db.query(`CREATE TABLE ${schema}.shrunk (email text PRIMARY KEY, name text)`);
    const changed = await postgresDestination.write(rows(1, () => ({ email: 'a@x.io', name: 'A', phone: '123' })), ctx('shrunk')).catch((e: unknown) => e);
    expect(changed).toMatchObject({ code: 'schema_changed', field: 'phone', retryable: false });
    expect(String((changed as Error).message)).toContain(`Analytics DB: table "${schema}"."shrunk" has no column "phone" (a mapped field)`);
    expect(String((changed as Error).message)).toContain('fix:');

    const lookupErr = await postgresDestination.lookup!([{ recordKey: 'r', match: { field: 'email', value: 'x' } }], ctx('no_such_table')).catch((e: unknown) => e);
    expect(lookupErr).toMatchObject({ code: 'not_found' });
  });

  it('upsert needs a unique match column and says how to add one', async () => {
    await db.query(`CREATE TABLE ${schema}.nounique (email text, name text)`);
    const err = await postgresDestination.write(rows(1, () => ({ email: 'a@x.io', name: 'A' })), ctx('nounique')).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'config', field: 'email' });
    expect(String((err as Error).message)).toContain(`fix: ALTER TABLE "${schema}"."nounique" ADD UNIQUE ("email")`);
    const d = await postgresDestination.discover(ctx('nounique'));
    expect(d.objects.find((o) => o.name === 'nounique')).toMatchObject({ upsert: false, modes: ['update'] });
  });

  it('only-if-empty fields fill NULLs and keep existing values (COALESCE)', async () => {
    await db.query(`CREATE TABLE ${schema}.oie (email text PRIMARY KEY, source text, name text)`);
    await db.query(`INSERT INTO ${schema}.oie VALUES ('a@x.io', 'ads', 'Old'), ('b@x.io', NULL, 'Old')`);
    const batch = rows(2, (i) => ({ email: `${'ab'[i]}@x.io`, source: 'crm', name: 'New' })).map((r) => ({ ...r, setOnlyIfEmpty: ['source'] }));
    expect((await postgresDestination.write(batch, ctx('oie'))).map((r) => r.status)).toEqual(['accepted', 'accepted']);
    const r = await db.query(`SELECT email, source, name FROM ${schema}.oie ORDER BY email`);
    expect(r.rows).toEqual([
      { email: 'a@x.io', source: 'ads', name: 'New' },
      { email: 'b@x.io', source: 'crm', name: 'New' },
    ]);
  });

  it('update mode changes existing rows only; insert mode adds new rows only; mirror deletes', async () => {
    await db.query(`CREATE TABLE ${schema}.modes (email text PRIMARY KEY, n int)`);
    await db.query(`INSERT INTO ${schema}.modes VALUES ('a@x.io', 1)`);
    const two = rows(2, (i) => ({ email: `${'ab'[i]}@x.io`, n: 10 + i }));

    const upd = await postgresDestination.write(two, ctx('modes', { mode: 'update' }));
    expect(upd[0]).toMatchObject({ status: 'accepted', externalId: 'a@x.io' });
    expect(upd[1]).toMatchObject({ status: 'rejected', field: 'email' });
    expect(upd[1]!.message).toContain('update mode does not create rows');

    const ins = await postgresDestination.write(
      two.map((r) => ({ ...r, fields: { ...r.fields, n: 99 } })),
      ctx('modes', { mode: 'insert' }),
    );
    expect(ins.map((r) => r.status)).toEqual(['accepted', 'accepted']);
    let all = await db.query(`SELECT email, n FROM ${schema}.modes ORDER BY email`);
    expect(all.rows).toEqual([
      { email: 'a@x.io', n: 10 },
      { email: 'b@x.io', n: 99 },
    ]);

    const del = await postgresDestination.write([{ ...two[0]!, op: 'delete', fields: {} }], ctx('modes', { mode: 'mirror' }));
    expect(del[0]!.status).toBe('accepted');
    all = await db.query(`SELECT email FROM ${schema}.modes`);
    expect(all.rows).toEqual([{ email: 'b@x.io' }]);
  });

  it('splits a wide batch so no statement binds more than 65,535 parameters', async () => {
    const cols = Array.from({ length: 99 }, (_, i) => `c${i}`);
    // Its own schema, so its statement log holds only this test's statements.
    await db.query(`DROP SCHEMA IF EXISTS pgdest_wide CASCADE; CREATE SCHEMA pgdest_wide`);
    await db.query(`CREATE TABLE pgdest_wide.wide (email text PRIMARY KEY, ${cols.map((c) => `${c} int`).join(', ')})`);
    await instrument(db, 'pgdest_wide', 'wide');
    const batch = rows(1000, (i) => ({ email: `w${i}@x.io`, ...Object.fromEntries(cols.map((c, j) => [c, i + j])) }));
    const results = await postgresDestination.write(batch, ctx('wide', { schema: 'pgdest_wide' }));
    expect(results.every((r) => r.status === 'accepted')).toBe(true);
    const sizes = await statementSizes(db, 'pgdest_wide');
    expect(sizes.reduce((a, b) => a + b, 0)).toBe(1000);
    expect(Math.max(...sizes) * 100).toBeLessThanOrEqual(65_535);
    expect(sizes.length).toBe(2);
  });

  it('createTable creates a missing table from the rows, with the match column as primary key', async () => {
    const results = await postgresDestination.write(
      rows(2, (i) => ({ email: `n${i}@x.io`, score: i + 0.5, active: true, tags: ['a', 'b'], meta: { k: i } })),
      ctx('created', { createTable: true }),
    );
    expect(results.map((r) => r.status)).toEqual(['accepted', 'accepted']);
    const cols = await db.query(
      `SELECT column_name, data_type FROM information_schema.columns WHERE table_schema = $1 AND table_name = 'created' ORDER BY ordinal_position`,
      [schema],
    );
    expect(cols.rows).toEqual([
      { column_name: 'email', data_type: 'text' },
      { column_name: 'score', data_type: 'numeric' },
      { column_name: 'active', data_type: 'boolean' },
      { column_name: 'tags', data_type: 'ARRAY' },
      { column_name: 'meta', data_type: 'jsonb' },
    ]);
    const d = await postgresDestination.discover(ctx('created'));
    expect(d.objects.find((o) => o.name === 'created')?.fields.find((f) => f.name === 'email')).toMatchObject({ unique: true, required: true, type: 'string' });
  });

  it('test() reports an unreachable host and a missing schema with their fixes', async () => {
    const down = testWriteContext(postgresDestination, {
      credentials: { password: '' },
      config: postgresDestination.configSchema.parse({ host: '127.0.0.1', port: 1, database: 'x', user: 'u' }),
      object: 't',
      mode: 'upsert',
      options: postgresDestination.optionsSchema.parse({}),
    });
    const r = await postgresDestination.test(down);
    expect(r).toMatchObject({ ok: false, code: 'network' });
    expect(r.ok ? '' : r.message).toContain('cannot connect (ECONNREFUSED) — fix: check the host "127.0.0.1" and port 1');

    const noSchema = await postgresDestination.test(ctx('t', { schema: 'does_not_exist' }));
    expect(noSchema).toMatchObject({ ok: false, code: 'not_found' });
    expect(noSchema.ok ? '' : noSchema.message).toContain('schema "does_not_exist" does not exist');
  });
});

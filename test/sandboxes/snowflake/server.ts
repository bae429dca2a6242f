/**
 * Snowflake SANDBOX — test infrastructure, not Snowflake and not a Snowflake
 * client. It speaks the slice of the HTTP protocol that snowflake-sdk uses
 * (login-request, query-request with describeOnly, result chunks on "cloud
 * storage", abort-request, session delete, telemetry) over a tiny fixed
 * catalog, so the Snowflake source can be exercised at the request level.
 * It is NOT a SQL engine: it recognises the query shapes listed in README.md
 * and answers anything else with a syntax error.
 *
 * Run: tsx test/sandboxes/snowflake/server.ts [--port N]
 * Env (tests only):
 *   SNOWFLAKE_SANDBOX_ACCOUNT     account name expected at login (default BF_SANDBOX)
 *   SNOWFLAKE_SANDBOX_USERS       "USER:password,…" (default BACKFLOW:sandbox-password)
 *   SNOWFLAKE_SANDBOX_KEY_USER    a user that logs in with a key pair (SNOWFLAKE_JWT)
 *   SNOWFLAKE_SANDBOX_PUBLIC_KEY  that user's RSA public key (PEM)
 *   SNOWFLAKE_SANDBOX_CHUNK_ROWS  rows per result chunk (default 5000)
 *   SNOWFLAKE_SANDBOX_SHORT_CHUNK a fault: this result chunk (0-based index) comes
 *                                 back one row short of the rowCount the query
 *                                 response declared, as a cut-short download would
 */
import { createPublicKey, randomUUID, verify } from 'node:crypto';
import { z } from 'zod';
import { runSandboxProcess, type Route, type SandboxRequest, type SandboxResponse, type SandboxState } from '../lib/server';

const ZEnv = z.object({
  SNOWFLAKE_SANDBOX_ACCOUNT: z.string().default('BF_SANDBOX'),
  SNOWFLAKE_SANDBOX_USERS: z.string().default('BACKFLOW:sandbox-password'),
  SNOWFLAKE_SANDBOX_KEY_USER: z.string().optional(),
  SNOWFLAKE_SANDBOX_PUBLIC_KEY: z.string().optional(),
  SNOWFLAKE_SANDBOX_CHUNK_ROWS: z.coerce.number().int().min(1).default(5000),
  SNOWFLAKE_SANDBOX_SHORT_CHUNK: z.coerce.number().int().min(0).optional(),
});
const env = ZEnv.parse(process.env);
const passwords = new Map(
  env.SNOWFLAKE_SANDBOX_USERS.split(',')
    .map((p) => p.split(':'))
    .filter((p): p is [string, string] => p.length === 2)
    .map(([u, pw]) => [u.toUpperCase(), pw]),
);

// ───────────────────────────── catalog ─────────────────────────────

const DATABASE = 'ANALYTICS';
const WAREHOUSE = 'BF_WH';
const ROLES = new Set(['BF_READER', 'PUBLIC']);
const PEOPLE_ROWS = 2503;
/** Rows returned inline with the query response; the rest come as chunks. */
const INLINE_ROWS = 1000;

type RowType = { name: string; type: string; scale?: number; precision?: number; nullable: boolean };
type Table = { schema: string; name: string; kind: 'BASE TABLE' | 'VIEW'; columns: RowType[]; rows: (i: number) => (string | null)[]; count: number };

const fixed = (name: string, scale = 0, precision = 38): RowType => ({ name, type: 'fixed', scale, precision, nullable: true });
const col = (name: string, type: string, scale?: number): RowType => ({ name, type, nullable: true, ...(scale === undefined ? {} : { scale }) });

const DAY_2024_01_01 = Date.UTC(2024, 0, 1) / 1000;

const TABLES: Table[] = [
  {
    schema: 'PUBLIC',
    name: 'PEOPLE',
    kind: 'BASE TABLE',
    columns: [fixed('ID'), col('NAME', 'text'), fixed('SCORE', 2, 10), col('ACTIVE', 'boolean'), col('CREATED_AT', 'timestamp_ntz', 9)],
    count: PEOPLE_ROWS,
    rows: (i) => {
      const id = i + 1;
      return [String(id), `person-${id}`, (id / 7).toFixed(2), id % 2 === 0 ? '1' : '0', `${DAY_2024_01_01 + id * 60}.000000000`];
    },
  },
  {
    schema: 'PUBLIC',
    name: 'ROUND_TRIP',
    kind: 'BASE TABLE',
    columns: [
      fixed('ID'),
      col('NOTHING', 'text'),
      col('UNICODE', 'text'),
      fixed('BIG'),
      fixed('SMALL_BIG'),
      fixed('NEGATIVE_BIG'),
      fixed('EXACT', 9),
      col('RATIO', 'real'),
      col('FLAG', 'boolean'),
      col('DAY', 'date'),
      col('AT', 'timestamp_ntz', 9),
      col('AT_ZONE', 'timestamp_tz', 9),
    ],
    count: 1,
    rows: () => [
      '1',
      null,
      'Zoë — 😀 日本語 "quoted" \'single\' \\ back',
      '9007199254740993',
      '42',
      '-9223372036854775808',
      '12345678901234567890.123456789',
      '1.5',
      '1',
      String(Date.UTC(2024, 1, 29) / 86_400_000),
      '1709214356.789123000',
      // TIMESTAMP_TZ: epoch seconds, then the offset index (minutes + 1440): +01:00.
      '1709214356.789123000 1500',
    ],
  },
  {
    schema: 'MARTS',
    name: 'ACTIVE_PEOPLE',
    kind: 'VIEW',
    columns: [fixed('ID'), col('NAME', 'text'), col('TAGS', 'array'), col('PROFILE', 'object')],
    count: 1,
    rows: () => ['1', 'person-1', '["a","b"]', '{"k":1}'],
  },
];

function findTable(ref: string): Table | undefined {
  const parts = ref.replace(/"/g, '').toUpperCase().split('.');
  const name = parts.at(-1);
  const schema = parts.length >= 2 ? parts.at(-2) : undefined;
  return TABLES.find((t) => t.name === name && (!schema || t.schema === schema));
}

// ───────────────────────────── sessions ─────────────────────────────

type Session = { user: string; role: string; warehouse: string | null; database: string | null; params: Map<string, string> };
const sessions = new Map<string, Session>();
/** Running SYSTEM$WAIT statements by request id and query id, for abort-request. */
const running = new Map<string, () => void>();
/** Large results whose chunks are fetched later. */
const results = new Map<string, { table: Table; columns: number[] } | { generated: number }>();

type SfResponse = SandboxResponse;

const ok = (data: unknown): SfResponse => ({ status: 200, body: { success: true, code: null, message: null, data } });
const sfError = (code: string, message: string, sqlState: string, extra: Record<string, unknown> = {}): SfResponse => ({
  status: 200,
  body: { success: false, code, message, data: { errorCode: code, sqlState, internalError: false, age: 0, ...extra } },
});

function b64urlJson(part: string): unknown {
  return JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));
}

const ZLogin = z.object({
  data: z.object({
    ACCOUNT_NAME: z.string(),
    LOGIN_NAME: z.string(),
    PASSWORD: z.string().optional(),
    AUTHENTICATOR: z.string().optional(),
    TOKEN: z.string().optional(),
  }),
});

function checkJwt(token: string, account: string, user: string): boolean {
  if (!env.SNOWFLAKE_SANDBOX_PUBLIC_KEY || env.SNOWFLAKE_SANDBOX_KEY_USER?.toUpperCase() !== user) return false;
  const [h, p, s] = token.split('.');
  if (!h || !p || !s) return false;
  const valid = verify('RSA-SHA256', Buffer.from(`${h}.${p}`), createPublicKey(env.SNOWFLAKE_SANDBOX_PUBLIC_KEY), Buffer.from(s, 'base64url'));
  const claims = z.object({ sub: z.string(), iss: z.string(), exp: z.number() }).safeParse(b64urlJson(p));
  return valid && claims.success && claims.data.sub === `${account}.${user}` && claims.data.iss.startsWith(`${account}.${user}.SHA256:`) && claims.data.exp * 1000 > Date.now();
}

function login(req: SandboxRequest): SfResponse {
  const body = ZLogin.safeParse(req.body);
  if (!body.success) return { status: 400, body: { success: false, message: 'malformed login request' } };
  const d = body.data.data;
  const account = d.ACCOUNT_NAME.toUpperCase();
  const user = d.LOGIN_NAME.toUpperCase();
  const authenticated =
    account === env.SNOWFLAKE_SANDBOX_ACCOUNT.toUpperCase() &&
    (d.AUTHENTICATOR === 'SNOWFLAKE_JWT' ? checkJwt(d.TOKEN ?? '', account, user) : passwords.get(user) === d.PASSWORD);
  if (!authenticated) {
    return d.AUTHENTICATOR === 'SNOWFLAKE_JWT'
      ? sfError('390144', 'JWT token is invalid.', '08004')
      : sfError('390100', 'Incorrect username or password was specified.', '08004');
  }
  const role = (req.query.get('roleName') ?? 'PUBLIC').toUpperCase();
  if (!ROLES.has(role)) return sfError('390189', `Role '${role}' specified in the connect string does not exist or not authorized. Contact your local system administrator, or attempt to login with another role, e.g. PUBLIC.`, '08004');
  const database = req.query.get('databaseName')?.toUpperCase() ?? null;
  if (database && database !== DATABASE) return sfError('390201', 'The requested database does not exist or not authorized.', '08004');
  const warehouse = req.query.get('warehouse')?.toUpperCase() ?? null;
  const token = `sandbox-session-${randomUUID()}`;
  sessions.set(token, { user, role, warehouse: warehouse === WAREHOUSE ? warehouse : null, database, params: new Map([['STATEMENT_TIMEOUT_IN_SECONDS', '172800']]) });
  return ok({
    token,
    masterToken: `sandbox-master-${randomUUID()}`,
    validityInSeconds: 3600,
    masterValidityInSeconds: 14400,
    sessionId: Math.floor(Math.random() * 1e12),
    parameters: [{ name: 'TIMEZONE', value: 'UTC' }],
    sessionInfo: { databaseName: database, schemaName: 'PUBLIC', warehouseName: warehouse, roleName: role },
  });
}

function sessionOf(req: SandboxRequest): Session | null {
  const m = /Snowflake Token="([^"]+)"/.exec(String(req.headers.authorization ?? ''));
  return m?.[1] ? (sessions.get(m[1]) ?? null) : null;
}

// ───────────────────────────── queries ─────────────────────────────

const ZQuery = z.object({
  sqlText: z.string(),
  describeOnly: z.boolean().optional(),
  parameters: z.record(z.string(), z.unknown()).optional(),
  bindings: z.record(z.string(), z.object({ type: z.string(), value: z.unknown() })).optional(),
});

/** Statements separated by ";" outside quotes and comments (enough for the sandbox's queries). */
function countStatements(sql: string): number {
  let n = 0;
  let code = false;
  let quote: string | null = null;
  for (let i = 0; i < sql.length; i++) {
    const c = sql[i];
    if (quote) {
      if (c === quote) quote = null;
      continue;
    }
    if (c === "'" || c === '"') {
      quote = c;
      code = true;
    } else if (c === '-' && sql[i + 1] === '-') {
      const nl = sql.indexOf('\n', i);
      i = nl < 0 ? sql.length : nl;
    } else if (c === ';') {
      if (code) n++;
      code = false;
    } else if (c && !/\s/.test(c)) code = true;
  }
  return n + (code ? 1 : 0);
}

type Result = { columns: RowType[]; total: number; row: (i: number) => (string | null)[]; source: { table: Table; columns: number[] } | { generated: number } | null };

function syntaxError(sql: string, lineOffset = 0): SfResponse {
  const lines = sql.split('\n');
  for (let l = 0; l < lines.length; l++) {
    const m = /\bFORM\b/i.exec(lines[l] ?? '');
    if (m) return sfError('001003', `SQL compilation error:\nsyntax error line ${l + 1 + lineOffset} at position ${m.index} unexpected '${m[0]}'.`, '42000');
  }
  const word = /[A-Za-z_$]+/.exec(sql)?.[0] ?? sql.trim().slice(0, 10);
  return sfError('001003', `SQL compilation error:\nsyntax error line ${1 + lineOffset} at position 0 unexpected '${word}'.`, '42000');
}

/** The query shapes the sandbox understands (README.md). Returns a result or an error response. */
function compile(sql: string, session: Session, bindings: unknown[], lineOffset = 0): Result | SfResponse {
  const s = sql.trim().replace(/;\s*$/, '').trim();
  let m: RegExpExecArray | null;
  if (/^SELECT CURRENT_VERSION\(\)/i.test(s)) {
    return {
      columns: [col('VERSION', 'text'), col('USER', 'text'), col('ROLE', 'text'), col('WAREHOUSE', 'text'), col('DATABASE', 'text')],
      total: 1,
      row: () => ['8.40.1', session.user, session.role, session.warehouse, session.database],
      source: null,
    };
  }
  if (/INFORMATION_SCHEMA\.COLUMNS|IDENTIFIER\(\?\)/i.test(s)) {
    const schemas = bindings.slice(2).map((b) => String(b).toUpperCase());
    const rows: (string | null)[][] = [];
    for (const t of TABLES) {
      if (schemas.length && !schemas.includes(t.schema)) continue;
      for (const c of t.columns) {
        const dataType = { fixed: 'NUMBER', text: 'TEXT', real: 'FLOAT', boolean: 'BOOLEAN', date: 'DATE', timestamp_ntz: 'TIMESTAMP_NTZ', timestamp_tz: 'TIMESTAMP_TZ', array: 'ARRAY', object: 'OBJECT' }[c.type] ?? c.type.toUpperCase();
        rows.push([t.schema, t.name, t.kind, c.name, dataType, c.type === 'fixed' ? String(c.scale ?? 0) : null, c.nullable ? 'YES' : 'NO']);
      }
    }
    return {
      columns: [col('TABLE_SCHEMA', 'text'), col('TABLE_NAME', 'text'), col('TABLE_TYPE', 'text'), col('COLUMN_NAME', 'text'), col('DATA_TYPE', 'text'), fixed('NUMERIC_SCALE'), col('IS_NULLABLE', 'text')],
      total: rows.length,
      row: (i) => rows[i] ?? [],
      source: null,
    };
  }
  if ((m = /^SELECT \* FROM \(\n([\s\S]*)\n\)$/.exec(s))) {
    const inner = m[1] ?? '';
    const first = /^[\s(]*([A-Za-z_]+)/.exec(inner)?.[1]?.toUpperCase();
    if (first !== 'SELECT' && first !== 'WITH') return sfError('001003', `SQL compilation error:\nsyntax error line 2 at position 0 unexpected '${first ?? ''}'.`, '42000');
    return compile(inner, session, bindings, 1);
  }
  if ((m = /^SELECT SYSTEM\$WAIT\((\d+)\) AS S$/i.exec(s))) {
    const seconds = Number(m[1]);
    return { columns: [col('S', 'text')], total: 1, row: () => [`waited ${seconds} seconds`], source: null };
  }
  if ((m = /^SELECT SEQ4\(\) \+ 1 AS N FROM TABLE\(GENERATOR\(ROWCOUNT => (\d+)\)\)$/i.exec(s))) {
    const count = Number(m[1]);
    return { columns: [fixed('N')], total: count, row: (i) => [String(i + 1)], source: { generated: count } };
  }
  if ((m = /^SELECT (.+?) FROM ([A-Za-z_."]+)(?: ORDER BY ([A-Za-z_]+))?$/is.exec(s))) {
    const table = findTable(m[2] ?? '');
    if (!table) return sfError('002003', `SQL compilation error:\nObject '${(m[2] ?? '').toUpperCase()}' does not exist or not authorized.`, '02000');
    const list = (m[1] ?? '').trim();
    const picked = list === '*' ? table.columns.map((_, i) => i) : list.split(',').map((c) => table.columns.findIndex((x) => x.name === c.trim().replace(/"/g, '').toUpperCase()));
    const missing = picked.indexOf(-1);
    if (missing >= 0) return sfError('000904', `SQL compilation error: error line ${1 + lineOffset} at position 7\ninvalid identifier '${list.split(',')[missing]?.trim().toUpperCase()}'`, '42000');
    return {
      columns: picked.map((i) => table.columns[i] ?? col('?', 'text')),
      total: table.count,
      row: (r) => {
        const full = table.rows(r);
        return picked.map((i) => full[i] ?? null);
      },
      source: { table, columns: picked },
    };
  }
  return syntaxError(s, lineOffset);
}

const WRITE = /^(INSERT|UPDATE|DELETE|MERGE|CREATE|DROP|ALTER|TRUNCATE|GRANT|REVOKE|COPY|PUT|REMOVE|CALL|USE|BEGIN|COMMIT)\b/i;

function rowset(r: Result, from: number, to: number): (string | null)[][] {
  const out: (string | null)[][] = [];
  for (let i = from; i < Math.min(to, r.total); i++) out.push(r.row(i));
  return out;
}

async function query(req: SandboxRequest, state: SandboxState, baseUrl: string): Promise<SfResponse> {
  const session = sessionOf(req);
  if (!session) return { status: 401, body: { success: false, code: '390104', message: 'Authentication token has expired.  The user must authenticate again.' } };
  const body = ZQuery.safeParse(req.body);
  if (!body.success) return { status: 400, body: { success: false, message: 'malformed query request' } };
  const q = body.data;
  const queryId = randomUUID();
  const requestId = req.query.get('requestId') ?? queryId;
  const wanted = Number(q.parameters?.MULTI_STATEMENT_COUNT ?? 1);
  const count = countStatements(q.sqlText);
  if (wanted !== 0 && count !== wanted) {
    return sfError('000008', `Actual statement count ${count} did not match the desired statement count ${wanted}.`, '0A000', { queryId });
  }
  const sql = q.sqlText.trim();
  let m: RegExpExecArray | null;
  if ((m = /^ALTER SESSION SET (.+)$/is.exec(sql))) {
    for (const pair of (m[1] ?? '').split(',')) {
      const [k, v] = pair.split('=').map((x) => x.trim());
      if (k && v) session.params.set(k.toUpperCase(), v.replace(/^'|'$/g, ''));
    }
    return ok({ queryId, rowtype: [col('status', 'text')], rowset: [['Statement executed successfully.']], total: 1, returned: 1, queryResultFormat: 'json', statementTypeId: 0x5000, version: 1, parameters: [] });
  }
  if (WRITE.test(sql)) {
    if (q.describeOnly) return ok({ queryId, rowtype: [fixed('number of rows inserted')], rowset: [], total: 0, returned: 0, queryResultFormat: 'json', statementTypeId: 0x3100, version: 1, parameters: [] });
    // A write that reached execution: recorded so tests can prove none ever does.
    state.logCreate('executed_write', queryId, { sql });
    return ok({ queryId, rowtype: [fixed('number of rows inserted')], rowset: [['1']], total: 1, returned: 1, queryResultFormat: 'json', statementTypeId: 0x3100, version: 1, parameters: [] });
  }
  const bindings = Object.entries(q.bindings ?? {})
    .sort(([a], [b]) => Number(a) - Number(b))
    .map(([, v]) => v.value);
  const compiled = compile(sql, session, bindings);
  if ('status' in compiled) return { ...compiled, body: addQueryId(compiled.body, queryId) };
  if (!q.describeOnly && !session.warehouse && compiled.source !== null) {
    return sfError('000606', 'No active warehouse selected in the current session.  Select an active warehouse with the \'use warehouse\' command.', '57P03', { queryId });
  }
  if (!q.describeOnly && (m = /SYSTEM\$WAIT\((\d+)\)/i.exec(sql))) {
    const seconds = Number(m[1]);
    const limit = Number(session.params.get('STATEMENT_TIMEOUT_IN_SECONDS') ?? '172800');
    const outcome = await new Promise<'done' | 'timeout' | 'aborted'>((resolve) => {
      const timer = setTimeout(() => resolve(seconds > limit ? 'timeout' : 'done'), Math.min(seconds, limit) * 1000);
      const abort = () => {
        clearTimeout(timer);
        resolve('aborted');
      };
      running.set(requestId, abort);
      running.set(queryId, abort);
    });
    running.delete(requestId);
    running.delete(queryId);
    if (outcome === 'timeout') return sfError('000630', `Statement reached its statement or warehouse timeout of ${limit} second(s) and was canceled.`, '57014', { queryId });
    if (outcome === 'aborted') return sfError('000604', 'SQL execution canceled', '57014', { queryId });
  }
  const inline = q.describeOnly ? [] : rowset(compiled, 0, INLINE_ROWS);
  const chunks: { url: string; rowCount: number; uncompressedSize: number; compressedSize: number }[] = [];
  if (!q.describeOnly && compiled.total > INLINE_ROWS && compiled.source) {
    results.set(queryId, compiled.source);
    for (let from = INLINE_ROWS, i = 0; from < compiled.total; from += env.SNOWFLAKE_SANDBOX_CHUNK_ROWS, i++) {
      const rowCount = Math.min(env.SNOWFLAKE_SANDBOX_CHUNK_ROWS, compiled.total - from);
      chunks.push({ url: `${baseUrl}/sandbox-storage/${queryId}/${i}`, rowCount, uncompressedSize: rowCount * 32, compressedSize: rowCount * 16 });
    }
  }
  return ok({
    queryId,
    rowtype: compiled.columns.map((c) => ({ database: DATABASE, schema: 'PUBLIC', table: '', length: null, byteLength: null, precision: c.precision ?? null, scale: c.scale ?? null, collation: null, ...c })),
    rowset: inline,
    total: q.describeOnly ? 0 : compiled.total,
    returned: q.describeOnly ? 0 : compiled.total,
    queryResultFormat: 'json',
    statementTypeId: 0x1000,
    version: 1,
    parameters: [{ name: 'TIMEZONE', value: 'UTC' }],
    ...(chunks.length ? { chunks, qrmk: 'sandbox-qrmk', chunkHeaders: { 'x-sandbox-chunk': 'yes' } } : {}),
  });
}

function addQueryId(body: unknown, queryId: string): unknown {
  const parsed = z.object({ data: z.record(z.string(), z.unknown()) }).passthrough().safeParse(body);
  return parsed.success ? { ...parsed.data, data: { ...parsed.data.data, queryId } } : body;
}

/** GET of one result chunk, as the driver fetches it from cloud storage: rows without the enclosing brackets. */
function chunk(req: SandboxRequest): SfResponse {
  const source = results.get(req.params.queryId ?? '');
  const index = Number(req.params.index);
  if (!source || !Number.isInteger(index)) return { status: 404, body: '<Error><Code>NoSuchKey</Code></Error>', headers: { 'content-type': 'application/xml' } };
  const from = INLINE_ROWS + index * env.SNOWFLAKE_SANDBOX_CHUNK_ROWS;
  const total = 'generated' in source ? source.generated : source.table.count;
  const to = Math.min(total, from + env.SNOWFLAKE_SANDBOX_CHUNK_ROWS) - (index === env.SNOWFLAKE_SANDBOX_SHORT_CHUNK ? 1 : 0);
  const parts: string[] = [];
  for (let i = from; i < to; i++) {
    const row = 'generated' in source ? [String(i + 1)] : source.columns.map((c) => source.table.rows(i)[c] ?? null);
    parts.push(JSON.stringify(row));
  }
  return { status: 200, body: parts.join(','), headers: { 'content-type': 'application/octet-stream' } };
}

function abort(req: SandboxRequest): SfResponse {
  const body = z.object({ requestId: z.string() }).safeParse(req.body);
  const key = req.params.queryId ?? (body.success ? body.data.requestId : '');
  running.get(key)?.();
  return ok(null);
}

let baseUrl = '';

void runSandboxProcess({
  name: 'snowflake',
  routes: (state): Route[] => [
    { method: 'POST', path: '/session/v1/login-request', handler: login },
    { method: 'POST', path: '/telemetry/send', handler: () => ok(null) },
    {
      method: 'POST',
      path: '/session',
      handler: (req) => {
        const m = /Snowflake Token="([^"]+)"/.exec(String(req.headers.authorization ?? ''));
        if (req.query.get('delete') === 'true' && m?.[1]) sessions.delete(m[1]);
        return ok(null);
      },
    },
    {
      method: 'POST',
      path: '/queries/v1/query-request',
      handler: (req) => {
        baseUrl ||= `http://${String(req.headers.host)}`;
        return query(req, state, baseUrl);
      },
    },
    { method: 'POST', path: '/queries/v1/abort-request', handler: abort },
    { method: 'POST', path: '/queries/:queryId/abort-request', handler: abort },
    { method: 'GET', path: '/sandbox-storage/:queryId/:index', handler: chunk },
  ],
  records: () => ({ sessions: sessions.size, running: running.size / 2 }),
  reset: () => {
    sessions.clear();
    running.clear();
    results.clear();
  },
});

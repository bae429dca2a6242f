/**
 * BigQuery SANDBOX — test infrastructure, not BigQuery and not a BigQuery
 * client. It implements the slice of the REST API the BigQuery source uses —
 * jobs.insert (dry run and query jobs), jobs.getQueryResults with paging,
 * jobs.cancel — plus an OAuth 2.0 token endpoint (JWT-bearer grant) standing
 * in for https://oauth2.googleapis.com/token. It is NOT a SQL engine: it
 * recognises the query shapes listed in README.md over a tiny fixed catalog
 * and answers anything else with an invalidQuery error.
 *
 * Run: tsx test/sandboxes/bigquery/server.ts [--port N]
 * Env (tests only):
 *   BIGQUERY_SANDBOX_PROJECT       the project (default bf-sandbox)
 *   BIGQUERY_SANDBOX_CLIENT_EMAIL  the service account allowed to get tokens
 *   BIGQUERY_SANDBOX_PUBLIC_KEY    its public key (PEM), to check the JWT assertion
 *   BIGQUERY_SANDBOX_LAST_PAGE     a fault: the page at this 0-based index comes
 *                                  without its pageToken, as if the result ended there
 */
import { createPublicKey, randomUUID, verify } from 'node:crypto';
import { z } from 'zod';
import { runSandboxProcess, type Route, type SandboxRequest, type SandboxResponse, type SandboxState } from '../lib/server';

const ZEnv = z.object({
  BIGQUERY_SANDBOX_PROJECT: z.string().default('bf-sandbox'),
  BIGQUERY_SANDBOX_CLIENT_EMAIL: z.string().default('backflow@bf-sandbox.iam.gserviceaccount.com'),
  BIGQUERY_SANDBOX_PUBLIC_KEY: z.string().optional(),
  BIGQUERY_SANDBOX_LAST_PAGE: z.coerce.number().int().min(0).optional(),
});
const env = ZEnv.parse(process.env);

// ───────────────────────────── catalog ─────────────────────────────

type Field = { name: string; type: string; mode?: 'NULLABLE' | 'REQUIRED' | 'REPEATED'; fields?: Field[] };
/** A cell as the REST API encodes it: strings, null, arrays of {v}, or {f: [...]} for records. */
type Cell = string | null | { v: Cell }[] | { f: { v: Cell }[] };
type Table = { dataset: string; name: string; kind: 'BASE TABLE' | 'VIEW'; fields: Field[]; count: number; row: (i: number, int64Timestamps: boolean) => Cell[]; bytes: number; seconds?: number };

const PEOPLE_ROWS = 2503;
const T0_MICROS = BigInt(Date.UTC(2024, 0, 1)) * 1000n;

const ts = (micros: bigint, int64: boolean): string => (int64 ? String(micros) : (Number(micros) / 1e6).toExponential(15).replace('e+', 'E'));

const TABLES: Table[] = [
  {
    dataset: 'crm',
    name: 'people',
    kind: 'BASE TABLE',
    fields: [
      { name: 'id', type: 'INTEGER', mode: 'REQUIRED' },
      { name: 'name', type: 'STRING' },
      { name: 'score', type: 'NUMERIC' },
      { name: 'active', type: 'BOOLEAN' },
      { name: 'created_at', type: 'TIMESTAMP' },
    ],
    count: PEOPLE_ROWS,
    bytes: 200_000,
    row: (i, int64) => {
      const id = i + 1;
      return [String(id), `person-${id}`, (id / 7).toFixed(2), id % 2 === 0 ? 'true' : 'false', ts(T0_MICROS + BigInt(id) * 60_000_000n, int64)];
    },
  },
  {
    dataset: 'crm',
    name: 'round_trip',
    kind: 'BASE TABLE',
    fields: [
      { name: 'id', type: 'INTEGER' },
      { name: 'nothing', type: 'STRING' },
      { name: 'unicode', type: 'STRING' },
      { name: 'big', type: 'INTEGER' },
      { name: 'small_big', type: 'INTEGER' },
      { name: 'negative_big', type: 'INTEGER' },
      { name: 'exact', type: 'BIGNUMERIC' },
      { name: 'ratio', type: 'FLOAT' },
      { name: 'flag', type: 'BOOLEAN' },
      { name: 'day', type: 'DATE' },
      { name: 'at', type: 'DATETIME' },
      { name: 'at_zone', type: 'TIMESTAMP' },
    ],
    count: 1,
    bytes: 100,
    row: (_i, int64) => [
      '1',
      null,
      'Zoë — 😀 日本語 "quoted" \'single\' \\ back',
      '9007199254740993',
      '42',
      '-9223372036854775808',
      '12345678901234567890.123456789',
      '1.5',
      'true',
      '2024-02-29',
      '2024-02-29T13:45:56.789123',
      ts(1709214356789123n, int64),
    ],
  },
  {
    dataset: 'marts',
    name: 'active_people',
    kind: 'VIEW',
    fields: [
      { name: 'id', type: 'INTEGER' },
      { name: 'tags', type: 'STRING', mode: 'REPEATED' },
      { name: 'profile', type: 'RECORD', fields: [{ name: 'plan', type: 'STRING' }, { name: 'seats', type: 'INTEGER' }] },
      { name: 'payload', type: 'JSON' },
      { name: 'raw', type: 'BYTES' },
    ],
    count: 1,
    bytes: 100,
    row: () => ['1', [{ v: 'a' }, { v: 'b' }], { f: [{ v: 'pro' }, { v: '3' }] }, '{"k":[1,2]}', Buffer.from([0, 255]).toString('base64')],
  },
  {
    dataset: 'crm',
    name: 'slow',
    kind: 'BASE TABLE',
    fields: [{ name: 's', type: 'STRING' }],
    count: 1,
    bytes: 100,
    seconds: 30,
    row: () => ['done'],
  },
];

function typeName(f: Field): string {
  const base = { INTEGER: 'INT64', FLOAT: 'FLOAT64', BOOLEAN: 'BOOL', RECORD: 'STRUCT' }[f.type] ?? f.type;
  const full = base === 'STRUCT' ? `STRUCT<${(f.fields ?? []).map((s) => `${s.name} ${typeName(s)}`).join(', ')}>` : base;
  return f.mode === 'REPEATED' ? `ARRAY<${full}>` : full;
}

// ───────────────────────────── auth ─────────────────────────────

const tokens = new Set<string>();

function tokenEndpoint(req: SandboxRequest, baseUrl: string): SandboxResponse {
  const form = new URLSearchParams(req.rawBody);
  const invalid = (description: string): SandboxResponse => ({ status: 400, body: { error: 'invalid_grant', error_description: description } });
  if (form.get('grant_type') !== 'urn:ietf:params:oauth:grant-type:jwt-bearer') return { status: 400, body: { error: 'unsupported_grant_type' } };
  const [h, p, s] = (form.get('assertion') ?? '').split('.');
  if (!h || !p || !s || !env.BIGQUERY_SANDBOX_PUBLIC_KEY) return invalid('Invalid JWT.');
  if (!verify('RSA-SHA256', Buffer.from(`${h}.${p}`), createPublicKey(env.BIGQUERY_SANDBOX_PUBLIC_KEY), Buffer.from(s, 'base64url'))) return invalid('Invalid JWT Signature.');
  const claims = z.object({ iss: z.string(), aud: z.string(), scope: z.string(), exp: z.number(), iat: z.number() }).safeParse(JSON.parse(Buffer.from(p, 'base64url').toString('utf8')));
  if (!claims.success) return invalid('Invalid JWT: missing claims.');
  const c = claims.data;
  if (c.iss !== env.BIGQUERY_SANDBOX_CLIENT_EMAIL) return invalid('Invalid JWT: unknown issuer.');
  if (c.aud !== `${baseUrl}/token`) return invalid('Invalid JWT: audience must be the token endpoint.');
  if (!c.scope.split(' ').includes('https://www.googleapis.com/auth/bigquery')) return invalid('Invalid JWT: missing scope.');
  if (c.exp * 1000 < Date.now() || c.exp - c.iat > 3600) return invalid('Invalid JWT: Token must be a short-lived token (60 minutes) and in a reasonable timeframe.');
  const token = `ya29.sandbox-${randomUUID()}`;
  tokens.add(token);
  return { status: 200, body: { access_token: token, expires_in: 3599, token_type: 'Bearer' } };
}

function apiError(status: number, reason: string, message: string): SandboxResponse {
  return { status, body: { error: { code: status, message, errors: [{ message, domain: 'global', reason }], status: status === 404 ? 'NOT_FOUND' : status === 403 ? 'PERMISSION_DENIED' : 'INVALID_ARGUMENT' } } };
}

function authorized(req: SandboxRequest): boolean {
  const m = /^Bearer (.+)$/.exec(String(req.headers.authorization ?? ''));
  return m?.[1] ? tokens.has(m[1]) : false;
}

// ───────────────────────────── queries ─────────────────────────────

type Compiled = { statementType: string; fields: Field[]; count: number; row: (i: number, int64: boolean) => Cell[]; bytes: number; seconds: number; write: boolean };
type Job = { id: string; project: string; location: string; sql: string; compiled: Compiled; created: number; timeoutMs: number | null; error: { reason: string; message: string } | null; cancelled: boolean };
const jobs = new Map<string, Job>();

function statementCount(sql: string): number {
  let n = 0;
  let code = false;
  let quote: string | null = null;
  for (const c of sql) {
    if (quote) {
      if (c === quote) quote = null;
      continue;
    }
    if (c === "'" || c === '"' || c === '`') {
      quote = c;
      code = true;
    } else if (c === ';') {
      if (code) n++;
      code = false;
    } else if (!/\s/.test(c)) code = true;
  }
  return n + (code ? 1 : 0);
}

function findTable(ref: string): Table | undefined {
  const parts = ref.replace(/`/g, '').split('.');
  const name = parts.at(-1);
  const dataset = parts.at(-2);
  return TABLES.find((t) => t.name === name && t.dataset === dataset);
}

/** The statement shapes the sandbox understands (README.md), or an API error. */
function compile(sql: string, params: Map<string, string[]>): Compiled | SandboxResponse {
  const s = sql.trim().replace(/;\s*$/, '');
  if (statementCount(s) > 1) return { statementType: 'SCRIPT', fields: [], count: 0, row: () => [], bytes: 0, seconds: 0, write: true };
  const first = /^[\s(]*([A-Za-z_]+)/.exec(s)?.[1]?.toUpperCase() ?? '';
  const writes: Record<string, string> = { INSERT: 'INSERT', UPDATE: 'UPDATE', DELETE: 'DELETE', MERGE: 'MERGE', DROP: 'DROP_TABLE', EXPORT: 'EXPORT_DATA', TRUNCATE: 'TRUNCATE_TABLE' };
  if (first === 'CREATE') return { statementType: /\bAS\s+SELECT\b/i.test(s) ? 'CREATE_TABLE_AS_SELECT' : 'CREATE_TABLE', fields: [], count: 0, row: () => [], bytes: 0, seconds: 0, write: true };
  if (writes[first]) return { statementType: writes[first], fields: [], count: 0, row: () => [], bytes: 0, seconds: 0, write: true };
  const lines = s.split('\n');
  for (let l = 0; l < lines.length; l++) {
    const m = /\bFORM\b/i.exec(lines[l] ?? '');
    if (m) return apiError(400, 'invalidQuery', `Syntax error: Expected end of input but got identifier "FORM" at [${l + 1}:${m.index + 1}]`);
  }
  let m: RegExpExecArray | null;
  if (/^SELECT 1 AS ok$/i.test(s)) return { statementType: 'SELECT', fields: [{ name: 'ok', type: 'INTEGER' }], count: 1, row: () => ['1'], bytes: 0, seconds: 0, write: false };
  if (/INFORMATION_SCHEMA\.COLUMNS/i.test(s)) {
    const wanted = params.get('datasets');
    const rows: Cell[][] = [];
    for (const t of TABLES) {
      if (wanted && !wanted.includes(t.dataset)) continue;
      for (const f of t.fields) rows.push([t.dataset, t.name, t.kind, f.name, typeName(f), f.mode === 'REQUIRED' ? 'NO' : 'YES']);
    }
    return {
      statementType: 'SELECT',
      fields: ['table_schema', 'table_name', 'table_type', 'column_name', 'data_type', 'is_nullable'].map((name) => ({ name, type: 'STRING' })),
      count: rows.length,
      row: (i) => rows[i] ?? [],
      bytes: 0,
      seconds: 0,
      write: false,
    };
  }
  if ((m = /^SELECT n FROM UNNEST\(GENERATE_ARRAY\(1, (\d+)\)\) AS n$/i.exec(s))) {
    const count = Number(m[1]);
    return { statementType: 'SELECT', fields: [{ name: 'n', type: 'INTEGER' }], count, row: (i) => [String(i + 1)], bytes: count * 8, seconds: 0, write: false };
  }
  if ((m = /^SELECT (.+?) FROM ([A-Za-z0-9_.`-]+)(?: ORDER BY ([A-Za-z_]+))?$/is.exec(s))) {
    const table = findTable(m[2] ?? '');
    if (!table) return apiError(404, 'notFound', `Not found: Table ${env.BIGQUERY_SANDBOX_PROJECT}:${(m[2] ?? '').replace(/`/g, '')} was not found in location US`);
    const list = (m[1] ?? '').trim();
    const picked = list === '*' ? table.fields.map((_, i) => i) : list.split(',').map((c) => table.fields.findIndex((f) => f.name === c.trim()));
    const bad = picked.indexOf(-1);
    if (bad >= 0) return apiError(400, 'invalidQuery', `Unrecognized name: ${list.split(',')[bad]?.trim()} at [1:8]`);
    return {
      statementType: 'SELECT',
      fields: picked.map((i) => table.fields[i] ?? { name: '?', type: 'STRING' }),
      count: table.count,
      row: (r, int64) => {
        const full = table.row(r, int64);
        return picked.map((i) => full[i] ?? null);
      },
      bytes: table.bytes,
      seconds: table.seconds ?? 0,
      write: false,
    };
  }
  return apiError(400, 'invalidQuery', `Syntax error: Unexpected identifier "${first}" at [1:1]`);
}

const ZInsert = z.object({
  jobReference: z.object({ jobId: z.string().optional(), location: z.string().optional() }).optional(),
  configuration: z.object({
    dryRun: z.boolean().optional(),
    jobTimeoutMs: z.string().optional(),
    query: z.object({
      query: z.string(),
      useLegacySql: z.boolean().optional(),
      maximumBytesBilled: z.string().optional(),
      queryParameters: z
        .array(z.object({ name: z.string().optional(), parameterValue: z.object({ arrayValues: z.array(z.object({ value: z.string() })).optional() }) }))
        .optional(),
    }),
  }),
});

function jobResource(job: Job, state: 'RUNNING' | 'DONE'): unknown {
  return {
    kind: 'bigquery#job',
    id: `${job.project}:${job.location}.${job.id}`,
    jobReference: { projectId: job.project, jobId: job.id, location: job.location },
    configuration: { query: { query: job.sql, useLegacySql: false }, jobType: 'QUERY' },
    status: { state, ...(job.error ? { errorResult: job.error, errors: [job.error] } : {}) },
    statistics: { creationTime: String(job.created), query: { statementType: job.compiled.statementType, totalBytesProcessed: String(job.compiled.bytes) } },
  };
}

function insertJob(req: SandboxRequest, state: SandboxState): SandboxResponse {
  if (!authorized(req)) return apiError(401, 'authError', 'Request had invalid authentication credentials. Expected OAuth 2 access token.');
  const project = req.params.project ?? '';
  if (project !== env.BIGQUERY_SANDBOX_PROJECT) return apiError(404, 'notFound', `Not found: Project ${project}`);
  const body = ZInsert.safeParse(req.body);
  if (!body.success) return apiError(400, 'invalid', `sandbox: malformed jobs.insert body: ${body.error.message}`);
  const cfg = body.data.configuration;
  if (cfg.query.useLegacySql !== false) return apiError(400, 'invalidQuery', 'sandbox: only standard SQL (useLegacySql: false) is modelled');
  const params = new Map<string, string[]>();
  for (const p of cfg.query.queryParameters ?? []) if (p.name) params.set(p.name, (p.parameterValue.arrayValues ?? []).map((v) => v.value));
  const compiled = compile(cfg.query.query, params);
  if ('status' in compiled) return compiled;
  const job: Job = {
    id: body.data.jobReference?.jobId ?? `job_${randomUUID().replace(/-/g, '')}`,
    project,
    location: body.data.jobReference?.location ?? 'US',
    sql: cfg.query.query,
    compiled,
    created: Date.now(),
    timeoutMs: cfg.jobTimeoutMs ? Number(cfg.jobTimeoutMs) : null,
    error: null,
    cancelled: false,
  };
  if (cfg.dryRun) {
    return {
      status: 200,
      body: {
        kind: 'bigquery#job',
        jobReference: { projectId: project, location: job.location },
        configuration: { dryRun: true, query: { query: job.sql } },
        status: { state: 'DONE' },
        statistics: {
          totalBytesProcessed: String(compiled.bytes),
          query: { statementType: compiled.statementType, totalBytesProcessed: String(compiled.bytes), ...(compiled.write ? {} : { schema: { fields: compiled.fields } }) },
        },
      },
    };
  }
  // A write that reached execution: recorded so tests can prove none ever does.
  if (compiled.write) state.logCreate('executed_write', job.id, { sql: job.sql });
  const limit = cfg.query.maximumBytesBilled ? Number(cfg.query.maximumBytesBilled) : null;
  if (limit !== null && compiled.bytes > limit) {
    job.error = { reason: 'bytesBilledLimitExceeded', message: `Query exceeded limit for bytes billed: ${limit}. ${Math.max(10_485_760, compiled.bytes)} or higher required.` };
  }
  jobs.set(job.id, job);
  return { status: 200, body: jobResource(job, job.error ? 'DONE' : 'RUNNING') };
}

/** A job finishes `seconds` after creation unless its jobTimeoutMs (or a cancel) stops it first. */
function settle(job: Job): 'RUNNING' | 'DONE' {
  if (job.error) return 'DONE';
  const elapsed = Date.now() - job.created;
  if (job.timeoutMs !== null && job.compiled.seconds * 1000 > job.timeoutMs && elapsed >= job.timeoutMs) {
    job.error = { reason: 'timeout', message: `Job timed out after ${Math.round(job.timeoutMs / 1000)} sec` };
    return 'DONE';
  }
  return elapsed >= job.compiled.seconds * 1000 ? 'DONE' : 'RUNNING';
}

async function getQueryResults(req: SandboxRequest): Promise<SandboxResponse> {
  if (!authorized(req)) return apiError(401, 'authError', 'Request had invalid authentication credentials. Expected OAuth 2 access token.');
  const job = jobs.get(req.params.jobId ?? '');
  if (!job) return apiError(404, 'notFound', `Not found: Job ${req.params.project}:${req.params.jobId}`);
  const waitMs = Number(req.query.get('timeoutMs') ?? '10000');
  const until = Date.now() + waitMs;
  while (settle(job) === 'RUNNING' && Date.now() < until) await new Promise((r) => setTimeout(r, 50));
  if (job.error) return apiError(job.error.reason === 'bytesBilledLimitExceeded' ? 400 : 400, job.error.reason, job.error.message);
  if (settle(job) === 'RUNNING') return { status: 200, body: { kind: 'bigquery#getQueryResultsResponse', jobReference: { projectId: job.project, jobId: job.id, location: job.location }, jobComplete: false } };
  const c = job.compiled;
  const offset = Number((req.query.get('pageToken') ?? 'p:0').slice(2));
  const max = Math.min(Number(req.query.get('maxResults') ?? '100000'), 100_000);
  const int64 = req.query.get('formatOptions.useInt64Timestamp') === 'true';
  const rows: { f: { v: Cell }[] }[] = [];
  for (let i = offset; i < Math.min(c.count, offset + max); i++) rows.push({ f: c.row(i, int64).map((v) => ({ v })) });
  const next = offset + rows.length;
  const cutShort = env.BIGQUERY_SANDBOX_LAST_PAGE !== undefined && offset === env.BIGQUERY_SANDBOX_LAST_PAGE * max;
  return {
    status: 200,
    body: {
      kind: 'bigquery#getQueryResultsResponse',
      jobReference: { projectId: job.project, jobId: job.id, location: job.location },
      jobComplete: true,
      schema: { fields: c.fields },
      totalRows: String(c.count),
      rows,
      ...(next < c.count && !cutShort ? { pageToken: `p:${next}` } : {}),
    },
  };
}

function cancelJob(req: SandboxRequest): SandboxResponse {
  if (!authorized(req)) return apiError(401, 'authError', 'Request had invalid authentication credentials.');
  const job = jobs.get(req.params.jobId ?? '');
  if (!job) return apiError(404, 'notFound', `Not found: Job ${req.params.jobId}`);
  if (settle(job) === 'RUNNING') {
    job.cancelled = true;
    job.error = { reason: 'stopped', message: 'Job execution was cancelled: User requested cancellation' };
  }
  return { status: 200, body: { kind: 'bigquery#jobCancelResponse', job: jobResource(job, 'DONE') } };
}

let baseUrl = '';
const base = (req: SandboxRequest) => (baseUrl ||= `http://${String(req.headers.host)}`);

void runSandboxProcess({
  name: 'bigquery',
  routes: (state): Route[] => [
    { method: 'POST', path: '/token', handler: (req) => tokenEndpoint(req, base(req)) },
    { method: 'POST', path: '/bigquery/v2/projects/:project/jobs', handler: (req) => insertJob(req, state) },
    { method: 'GET', path: '/bigquery/v2/projects/:project/queries/:jobId', handler: getQueryResults },
    { method: 'POST', path: '/bigquery/v2/projects/:project/jobs/:jobId/cancel', handler: cancelJob },
    {
      method: 'GET',
      path: '/bigquery/v2/projects/:project/jobs/:jobId',
      handler: (req) => {
        const job = jobs.get(req.params.jobId ?? '');
        return job ? { status: 200, body: jobResource(job, settle(job)) } : apiError(404, 'notFound', `Not found: Job ${req.params.jobId}`);
      },
    },
  ],
  records: () => [...jobs.values()].map((j) => ({ id: j.id, sql: j.sql, cancelled: j.cancelled, error: j.error })),
  // Issued tokens survive a reset, as Google's do: clients cache them for an hour.
  reset: () => {
    jobs.clear();
  },
});

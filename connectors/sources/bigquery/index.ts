/**
 * BigQuery source (@google-cloud/bigquery) with a service-account key.
 *
 * Read-only: every query is first sent as a dry run, which compiles it without
 * running (or billing) it and reports its statementType; only SELECT goes on
 * (a multi-statement text is a SCRIPT and is refused too). The dry run also
 * gives the columns for describe(). Reads run as a query job with a job
 * timeout and an optional maximumBytesBilled, and page through
 * jobs.getQueryResults (pageToken), `batchSize` rows at a time, so memory stays
 * flat. Give the service account BigQuery Job User + Data Viewer only.
 *
 * Authentication: the key is exchanged for an access token at the key's
 * token_uri with the OAuth 2.0 JWT-bearer grant (RFC 7523), as Google's
 * server-to-server flow prescribes; the token is cached until shortly before
 * it expires.
 *
 * The client library is loaded on first use: it is large, and most Backflow
 * processes never talk to BigQuery.
 */
import { createSign, randomUUID } from 'node:crypto';
import type { BigQuery, Job } from '@google-cloud/bigquery';
import { z } from 'zod';
import { defineConnector } from '../../sdk/define';
import { ConnectorError, type ColumnDescriptor, type ConnectorContext, type SourceRow, type TableDescriptor } from '../../sdk/types';
import { bigQueryError, type BigQueryErrorScope } from './errors';
import { ZBigQueryConfig, ZBigQueryCredentials, ZServiceAccountKeyText, type TBigQueryConfig, type TBigQueryCredentials, type TServiceAccountKey } from './schema';
import { bigQueryFieldType, bigQueryTypeName, decodeValue, nativeTypeOf, ZTableFieldSchema, type TableFieldSchema } from './types';

const DEFAULT_BATCH = 10_000;
const SCOPE = 'https://www.googleapis.com/auth/bigquery';
/** How long one getQueryResults call waits for the job before answering "not complete yet". */
const POLL_MS = 10_000;
const METADATA_TIMEOUT_MS = 120_000;

type Ctx = ConnectorContext<TBigQueryCredentials, TBigQueryConfig>;

/** The parsed key (the credentials schema already checked that it parses). */
function keyOf(ctx: Ctx): TServiceAccountKey {
  return ZServiceAccountKeyText.parse(ctx.credentials.serviceAccountKey);
}

function projectOf(ctx: Ctx): string {
  return ctx.config.projectId ?? keyOf(ctx).project_id;
}

function scopeOf(ctx: Ctx, extra: Partial<BigQueryErrorScope> = {}): BigQueryErrorScope {
  return { connectionName: ctx.connectionName, config: ctx.config, projectId: projectOf(ctx), clientEmail: keyOf(ctx).client_email, ...extra };
}

function fail(ctx: Ctx, cause: string, fix: string, code: 'bad_request' | 'timeout' | 'auth' | 'network' = 'bad_request', opts: { retryable?: boolean; field?: string } = {}): ConnectorError {
  return new ConnectorError(`BigQuery connection "${ctx.connectionName}": ${cause} — fix: ${fix}`, {
    code,
    retryable: opts.retryable ?? false,
    applied: 'no',
    ...(opts.field ? { field: opts.field } : {}),
  });
}

// ───────────────────────────── auth ─────────────────────────────

const ZTokenResponse = z.object({ access_token: z.string().min(1), expires_in: z.coerce.number().positive() });
const ZTokenError = z.object({ error: z.string(), error_description: z.string().optional() });

function b64url(data: string | Buffer): string {
  return Buffer.from(data).toString('base64url');
}

/** OAuth 2.0 JWT-bearer grant: a JWT signed with the key, exchanged at token_uri for an access token. */
async function exchangeKey(ctx: Ctx, key: TServiceAccountKey): Promise<{ access_token: string; expiry_date: number }> {
  const now = Math.floor(Date.now() / 1000);
  const header = b64url(JSON.stringify({ alg: 'RS256', typ: 'JWT', kid: key.private_key_id }));
  const claims = b64url(JSON.stringify({ iss: key.client_email, scope: SCOPE, aud: key.token_uri, iat: now, exp: now + 3600 }));
  let signature: string;
  try {
    signature = createSign('RSA-SHA256').update(`${header}.${claims}`).sign(key.private_key, 'base64url');
  } catch (err) {
    throw fail(ctx, `the service-account key cannot sign (${err instanceof Error ? err.message : String(err)})`, 'paste the whole JSON key file again', 'auth', { field: 'serviceAccountKey' });
  }
  let res: Response;
  try {
    res = await fetch(key.token_uri, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'urn:ietf:params:oauth:grant-type:jwt-bearer', assertion: `${header}.${claims}.${signature}` }),
      signal: AbortSignal.timeout(30_000),
    });
  } catch (err) {
    throw fail(ctx, `cannot reach the token endpoint ${key.token_uri} (${err instanceof Error ? err.message : String(err)})`, 'check the network path to Google (oauth2.googleapis.com)', 'network', { retryable: true, field: 'serviceAccountKey' });
  }
  const body: unknown = await res.json().catch(() => null);
  const ok = ZTokenResponse.safeParse(body);
  if (res.ok && ok.success) return { access_token: ok.data.access_token, expiry_date: Date.now() + ok.data.expires_in * 1000 };
  const e = ZTokenError.safeParse(body);
  const why = e.success ? `${e.data.error}${e.data.error_description ? `: ${e.data.error_description}` : ''}` : `HTTP ${res.status}`;
  throw fail(ctx, `Google refused the service-account key of ${key.client_email} (${why})`, 'check that the key is not deleted or disabled (IAM → Service accounts → Keys), or create a new JSON key and paste it', 'auth', {
    field: 'serviceAccountKey',
  });
}

/** Access tokens by key, reused until a minute before they expire (each process asks Google once an hour). */
const tokenCache = new Map<string, { access_token: string; expiry_date: number }>();

async function accessToken(ctx: Ctx): Promise<{ access_token: string; expiry_date: number }> {
  const key = keyOf(ctx);
  const cacheKey = `${key.client_email}\u0000${key.private_key_id}\u0000${key.token_uri}`;
  const cached = tokenCache.get(cacheKey);
  if (cached && cached.expiry_date - Date.now() > 60_000) return cached;
  const fresh = await exchangeKey(ctx, key);
  tokenCache.set(cacheKey, fresh);
  return fresh;
}

let libPromise: Promise<{ BigQuery: typeof BigQuery; OAuth2Client: typeof import('google-auth-library').OAuth2Client }> | null = null;

function loadLib() {
  libPromise ??= Promise.all([import('@google-cloud/bigquery'), import('google-auth-library')]).then(([bq, auth]) => ({ BigQuery: bq.BigQuery, OAuth2Client: auth.OAuth2Client }));
  return libPromise;
}

async function client(ctx: Ctx): Promise<BigQuery> {
  const { BigQuery: Client, OAuth2Client } = await loadLib();
  const auth = new OAuth2Client();
  // The library asks for a token whenever the cached one is about to expire.
  auth.refreshHandler = () => accessToken(ctx);
  return new Client({
    projectId: projectOf(ctx),
    location: ctx.config.location,
    authClient: auth,
    ...(ctx.config.apiEndpoint ? { apiEndpoint: ctx.config.apiEndpoint } : {}),
  });
}

// ───────────────────────────── dry run ─────────────────────────────

const ZDryRun = z.object({
  statistics: z.object({
    query: z.object({
      statementType: z.string().optional(),
      schema: z.object({ fields: z.array(ZTableFieldSchema).default([]) }).optional(),
    }),
  }),
});

/** Compiles the query without running it: its statement type and result columns. */
async function dryRun(ctx: Ctx, bq: BigQuery, sql: string): Promise<TableFieldSchema[]> {
  if (!sql.trim()) throw fail(ctx, 'the query is empty', 'write a SELECT statement');
  const [job] = await bq.createQueryJob({ query: sql, dryRun: true, useLegacySql: false, location: ctx.config.location });
  const meta = ZDryRun.parse(job.metadata);
  const type = meta.statistics.query.statementType ?? 'UNKNOWN';
  if (type === 'SCRIPT') throw fail(ctx, 'the query contains several SQL statements (a script)', 'keep a single SELECT statement and remove the others (and the ";" between them)');
  if (type !== 'SELECT') {
    throw fail(ctx, `only SELECT queries can be used as a source, and this statement is ${type}`, 'write a SELECT that only reads data — Backflow never writes to a source');
  }
  const fields = meta.statistics.query.schema?.fields ?? [];
  const seen = new Set<string>();
  for (const f of fields) {
    if (seen.has(f.name)) throw fail(ctx, `the query returns two columns named "${f.name}"`, `give one of them another name (… AS ${f.name}_2)`);
    seen.add(f.name);
  }
  return fields;
}

// ───────────────────────────── paging ─────────────────────────────

const ZPage = z.object({
  jobComplete: z.boolean().optional(),
  schema: z.object({ fields: z.array(ZTableFieldSchema).default([]) }).optional(),
  rows: z.array(z.object({ f: z.array(z.object({ v: z.unknown() })) })).optional(),
  pageToken: z.string().optional(),
  /** The rows of the whole result (a uint64 as a string), present once the job completed. */
  totalRows: z.string().regex(/^\d+$/).optional(),
});

/** Pages of decoded rows of a finished (or finishing) job; `deadline` bounds the waiting. */
async function* pages(ctx: Ctx, job: Job, pageSize: number, deadline: number): AsyncGenerator<SourceRow[]> {
  let pageToken: string | undefined;
  let read = 0;
  let total: number | null = null;
  for (;;) {
    if (Date.now() > deadline) {
      throw fail(ctx, 'the query job did not finish in time (statement timeout)', 'make the query cheaper (partition filters, fewer columns) or raise the statement timeout', 'timeout');
    }
    const [, , raw] = await job.getQueryResults({
      maxResults: pageSize,
      autoPaginate: false,
      skipParsing: true,
      timeoutMs: Math.max(1000, Math.min(POLL_MS, deadline - Date.now())),
      ...(pageToken ? { pageToken } : {}),
    });
    const page = ZPage.parse(raw ?? {});
    if (page.jobComplete === false) continue;
    const fields = page.schema?.fields ?? [];
    const rows: SourceRow[] = (page.rows ?? []).map((r) => {
      const row: SourceRow = {};
      fields.forEach((f, i) => {
        row[f.name] = decodeValue(f, r.f[i]?.v ?? null);
      });
      return row;
    });
    if (page.totalRows !== undefined) total = Number(page.totalRows);
    read += rows.length;
    if (rows.length > 0) yield rows;
    if (!page.pageToken) {
      // Rows missing from a result look deleted to the engine: the listing
      // must end with as many rows as BigQuery said the result holds.
      if (total !== null && read !== total) {
        throw fail(ctx, `the result ended after ${read} of its ${total} rows (a page came without the token for the next one); none of it was used`, 'run it again; if it happens again, report it with the job id', 'network', { retryable: true });
      }
      return;
    }
    pageToken = page.pageToken;
  }
}

async function cancelJob(job: Job): Promise<void> {
  await job.cancel().catch(() => {});
}

// ───────────────────────────── discover ─────────────────────────────

const ZCatalogRow = z.object({
  table_schema: z.string(),
  table_name: z.string(),
  table_type: z.string(),
  column_name: z.string(),
  data_type: z.string(),
  is_nullable: z.string(),
});

// ───────────────────────────── the connector ─────────────────────────────

export const bigquerySource = defineConnector({
  slug: 'bigquery',
  kind: 'source',
  displayName: 'Google BigQuery',
  icon: '🔷',
  description: 'Google BigQuery, read with a service account through dry-run-checked query jobs.',
  credentialsSchema: ZBigQueryCredentials,
  configSchema: ZBigQueryConfig,
  // The engine's SQL content hash is not validated against BigQuery: rows are hashed in Node.
  capabilities: { dialect: 'bigquery', sqlHash: false },

  async test(ctx) {
    try {
      const bq = await client(ctx);
      const fields = await dryRun(ctx, bq, 'SELECT 1 AS ok');
      if (fields.length !== 1) throw fail(ctx, 'the dry run returned an unexpected schema', 'check apiEndpoint');
      return { ok: true, message: `authenticated as ${keyOf(ctx).client_email}; query jobs run in project ${projectOf(ctx)} (${ctx.config.location})` };
    } catch (err) {
      const e = bigQueryError(err, scopeOf(ctx));
      return { ok: false, message: e.message, code: e.code };
    }
  },

  async discover(ctx) {
    const project = projectOf(ctx);
    const region = `region-${ctx.config.location.toLowerCase()}`;
    const datasets = ctx.config.datasets;
    try {
      const bq = await client(ctx);
      const filter = datasets.length ? 'WHERE c.table_schema IN UNNEST(@datasets)' : '';
      const [job] = await bq.createQueryJob({
        query: `SELECT c.table_schema, c.table_name, t.table_type, c.column_name, c.data_type, c.is_nullable
          FROM \`${project}\`.\`${region}\`.INFORMATION_SCHEMA.COLUMNS c
          JOIN \`${project}\`.\`${region}\`.INFORMATION_SCHEMA.TABLES t USING (table_catalog, table_schema, table_name)
          ${filter}
          ORDER BY c.table_schema, c.table_name, c.ordinal_position`,
        useLegacySql: false,
        location: ctx.config.location,
        jobTimeoutMs: METADATA_TIMEOUT_MS,
        ...(datasets.length ? { params: { datasets } } : {}),
      });
      const tables = new Map<string, TableDescriptor>();
      for await (const rows of pages(ctx, job, 10_000, Date.now() + METADATA_TIMEOUT_MS)) {
        for (const raw of rows) {
          const r = ZCatalogRow.parse(raw);
          const key = `${r.table_schema}\u0000${r.table_name}`;
          let t = tables.get(key);
          if (!t) {
            t = { schema: r.table_schema, name: r.table_name, kind: /VIEW/i.test(r.table_type) ? 'view' : 'table', columns: [] };
            tables.set(key, t);
          }
          t.columns.push({ name: r.column_name, nativeType: r.data_type, type: bigQueryTypeName(r.data_type), nullable: r.is_nullable === 'YES' });
        }
      }
      return { tables: [...tables.values()] };
    } catch (err) {
      throw bigQueryError(err, scopeOf(ctx));
    }
  },

  async describe(sql, ctx) {
    try {
      const bq = await client(ctx);
      const fields = await dryRun(ctx, bq, sql);
      return fields.map((f): ColumnDescriptor => ({ name: f.name, nativeType: nativeTypeOf(f), type: bigQueryFieldType(f), nullable: f.mode !== 'REQUIRED' }));
    } catch (err) {
      throw bigQueryError(err, scopeOf(ctx));
    }
  },

  async *read(sql, ctx, opts = {}) {
    const batchSize = opts.batchSize ?? DEFAULT_BATCH;
    const timeoutMs = opts.timeoutMs ?? ctx.config.statementTimeoutSeconds * 1000;
    const signal = opts.signal ?? ctx.signal;
    if (signal.aborted) throw fail(ctx, 'the read was cancelled before it started', 'start the run again', 'timeout', { retryable: true });
    let job: Job | null = null;
    let finished = false;
    let cancelled = false;
    const onAbort = () => {
      cancelled = true;
      if (job) void cancelJob(job);
    };
    signal.addEventListener('abort', onAbort, { once: true });
    try {
      const bq = await client(ctx);
      await dryRun(ctx, bq, sql);
      [job] = await bq.createQueryJob({
        query: sql,
        useLegacySql: false,
        location: ctx.config.location,
        jobTimeoutMs: timeoutMs,
        ...(ctx.config.maximumBytesBilled ? { maximumBytesBilled: ctx.config.maximumBytesBilled } : {}),
        labels: { source: 'backflow' },
        jobId: `backflow_${randomUUID().replace(/-/g, '')}`,
      });
      if (cancelled) await cancelJob(job);
      // Pages are at most ~10 MB; rows are re-batched to exactly batchSize.
      let batch: SourceRow[] = [];
      for await (const rows of pages(ctx, job, batchSize, Date.now() + timeoutMs + POLL_MS)) {
        for (const row of rows) {
          batch.push(row);
          if (batch.length === batchSize) {
            yield batch;
            batch = [];
          }
        }
      }
      if (batch.length > 0) yield batch;
      finished = true;
    } catch (err) {
      if (cancelled) throw fail(ctx, 'the read was cancelled', 'start the run again', 'timeout', { retryable: true });
      throw bigQueryError(err, scopeOf(ctx, { timeoutMs }));
    } finally {
      signal.removeEventListener('abort', onAbort);
      // Stopped early, failed or timed out: stop the job so it does not keep running (and billing).
      if (!finished && !cancelled && job) await cancelJob(job);
    }
  },
});

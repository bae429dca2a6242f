/**
 * A stand-in for one worker process, for the conformance kit's cross-process
 * rate-limit check (TEST INFRASTRUCTURE):
 *
 *   node --import tsx test/connectors/engine-probe.ts <connector slug>
 *
 * Protocol on stdin/stdout (see engine-probe-lib.ts): it loads the connector
 * and prints PROBE READY; reads one JSON spec line; builds a write context the
 * way the worker does — the connector's parsed settings and the REAL shared
 * limiter (createLimiterFactory over the test database, keyed by the account)
 * — and prints PROBE SET; waits for GO; calls write() once per row; prints one
 * PROBE REPORT line and exits.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { pathToFileURL } from 'node:url';
import { createPgPool } from '../../app/_server/pg';
import { isConnectorError, type AnyDestination, type RateLimiter, type WriteContext } from '../../connectors/sdk/types';
import { createLimiterFactory } from '../../workflows/engine/limiter';
import { PROBE_GO, PROBE_READY, PROBE_REPORT, PROBE_SET, ZProbeSpec, type TProbeReport } from './engine-probe-lib';

const ROOT = path.resolve(import.meta.dirname, '../..');

function isDestination(v: unknown, slug: string): v is AnyDestination {
  return typeof v === 'object' && v !== null && 'kind' in v && v.kind === 'destination' && 'slug' in v && v.slug === slug;
}

/**
 * The registered connector. Importing its own module first skips loading every
 * other connector (and their SDKs), which would double the start-up time.
 */
async function loadDestination(slug: string): Promise<AnyDestination> {
  const file = path.join(ROOT, 'connectors', 'destinations', slug, 'index.ts');
  if (existsSync(file)) {
    const mod: Record<string, unknown> = await import(pathToFileURL(file).href);
    for (const v of Object.values(mod)) if (isDestination(v, slug)) return v;
  }
  const { getDestination } = await import('../../connectors/registry');
  return getDestination(slug);
}

async function main(): Promise<void> {
  const slug = process.argv[2];
  if (!slug) throw new Error('usage: engine-probe.ts <destination connector slug>');
  const connector = await loadDestination(slug);
  const lines = createInterface({ input: process.stdin })[Symbol.asyncIterator]();
  const nextLine = async (): Promise<string> => {
    const r = await lines.next();
    if (r.done) throw new Error('stdin closed before the probe was released');
    return r.value;
  };
  console.log(PROBE_READY);

  const spec = ZProbeSpec.parse(JSON.parse(await nextLine()));
  const pool = createPgPool(spec.databaseUrl, 2);
  await pool.query('SELECT 1'); // connect now, not inside the measured loop
  const shared = createLimiterFactory(pool)(spec.accountKey, { requestsPerSecond: spec.requestsPerSecond });
  let tokens = 0;
  const limiter: RateLimiter = {
    async take(n = 1, signal) {
      await shared.take(n, signal);
      tokens += n;
    },
    pause: (ms) => shared.pause(ms),
  };
  const ctx: WriteContext<unknown, unknown, unknown> = {
    connectionId: spec.accountKey,
    connectionName: spec.connectionName,
    credentials: connector.credentialsSchema.parse(spec.credentials),
    config: connector.configSchema.parse(spec.config),
    options: connector.optionsSchema.parse(spec.options),
    object: spec.object,
    mode: spec.mode,
    limiter,
    signal: new AbortController().signal,
    log: { info: () => {}, warn: () => {}, error: () => {} },
    async updateCredentials(fn) {
      ctx.credentials = connector.credentialsSchema.parse(await fn(ctx.credentials));
      return ctx.credentials;
    },
  };
  console.log(PROBE_SET);
  while ((await nextLine()).trim() !== PROBE_GO) {
    /* wait for the release */
  }

  const report: TProbeReport = { tokens: 0, writes: 0, accepted: 0, problems: [], startedAt: Date.now(), finishedAt: 0 };
  for (const row of spec.rows) {
    report.writes++;
    try {
      for (const r of await connector.write([row], ctx)) {
        if (r.status === 'accepted') report.accepted++;
        else report.problems.push(`${r.recordKey}: ${r.status} ${r.message ?? ''}`);
      }
    } catch (err) {
      report.problems.push(`${row.recordKey}: ${isConnectorError(err) ? `${err.code}: ` : ''}${err instanceof Error ? err.message : String(err)}`);
    }
  }
  report.finishedAt = Date.now();
  report.tokens = tokens;
  console.log(`${PROBE_REPORT}${JSON.stringify(report)}`);
  await pool.end();
}

main().then(
  // Connector pools and keep-alive sockets would keep the process alive.
  () => process.exit(0),
  (err: unknown) => {
    console.error(`engine probe failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    process.exit(1);
  },
);

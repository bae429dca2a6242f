/**
 * Test sink: a destination that accepts every row and sends nothing anywhere.
 * It exists for the benchmark and engine tests (TEST INFRASTRUCTURE, marked
 * testOnly in the registry): it measures the engine without any API in the way.
 * With `logFile` set it appends `<op>\t<recordKey>` per row, so a benchmark can
 * check that exactly the expected keys arrived.
 */
import { appendFile } from 'node:fs/promises';
import { z } from 'zod';
import { defineConnector } from '../../sdk/define';
import { SYNC_MODES } from '../../sdk/types';

export const ZNoopSinkCredentials = z.object({}).strict();
export const ZNoopSinkConfig = z.object({ logFile: z.string().min(1).optional() });
export const ZNoopSinkOptions = z.object({}).passthrough();

export const noopSinkDestination = defineConnector({
  slug: 'noop-sink',
  kind: 'destination',
  displayName: 'Test sink (no-op)',
  icon: '🕳️',
  description: 'Accepts every row and discards it. For benchmarks and tests only.',
  testOnly: true,
  credentialsSchema: ZNoopSinkCredentials,
  configSchema: ZNoopSinkConfig,
  optionsSchema: ZNoopSinkOptions,
  capabilities: {
    writes: 'records',
    modes: [...SYNC_MODES],
    batchSize: 10_000,
    rateLimit: { requestsPerSecond: 100_000 },
    deletes: true,
    idempotencyKey: true,
    consistentLookup: true,
    setOnlyIfEmpty: false,
  },
  async test() {
    return { ok: true, message: 'the test sink accepts everything' };
  },
  async discover() {
    return { objects: [{ name: 'records', label: 'Records', fields: [], upsert: true }] };
  },
  async write(rows, ctx) {
    await ctx.limiter.take(1, ctx.signal);
    if (ctx.config.logFile) await appendFile(ctx.config.logFile, rows.map((r) => `${r.op}\t${r.recordKey}\n`).join(''));
    return rows.map((r) => ({ recordKey: r.recordKey, status: 'accepted' as const }));
  },
  async lookup(requests) {
    // The sink keeps nothing, so nothing can be found.
    return requests.map((r) => ({ recordKey: r.recordKey, externalId: null }));
  },
});

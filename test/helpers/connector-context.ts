/**
 * A ConnectorContext for connector tests that call connectors directly (without
 * the engine): an in-process limiter at the connector's declared rate, and
 * credentials kept in memory.
 */
import { RateLimiterMemory, RateLimiterRes } from 'rate-limiter-flexible';
import type { ConnectorContext, DestinationConnector, RateLimiter, SyncMode, WriteContext } from '../../connectors/sdk/types';

export function memoryLimiter(requestsPerSecond: number): RateLimiter & { taken: number } {
  const rl = new RateLimiterMemory({ points: Math.max(1, Math.floor(requestsPerSecond)), duration: 1 });
  let pausedUntil = 0;
  const limiter = {
    taken: 0,
    async take(tokens = 1) {
      for (;;) {
        const wait = pausedUntil - Date.now();
        if (wait > 0) await new Promise((r) => setTimeout(r, wait));
        try {
          await rl.consume('k', tokens);
          limiter.taken += tokens;
          return;
        } catch (res) {
          if (!(res instanceof RateLimiterRes)) throw res;
          await new Promise((r) => setTimeout(r, res.msBeforeNext));
        }
      }
    },
    async pause(ms: number) {
      pausedUntil = Math.max(pausedUntil, Date.now() + ms);
    },
  };
  return limiter;
}

export function testContext<Cr, Co>(opts: {
  credentials: Cr;
  config: Co;
  requestsPerSecond?: number;
  name?: string;
}): ConnectorContext<Cr, Co> & { limiter: ReturnType<typeof memoryLimiter>; stored: { credentials: Cr } } {
  const stored = { credentials: opts.credentials };
  const controller = new AbortController();
  const ctx: ConnectorContext<Cr, Co> & { limiter: ReturnType<typeof memoryLimiter>; stored: { credentials: Cr } } = {
    connectionId: 'test-connection',
    connectionName: opts.name ?? 'test connection',
    credentials: opts.credentials,
    config: opts.config,
    limiter: memoryLimiter(opts.requestsPerSecond ?? 1000),
    signal: controller.signal,
    log: { info: () => {}, warn: () => {}, error: () => {} },
    stored,
    async updateCredentials(fn) {
      stored.credentials = await fn(stored.credentials);
      ctx.credentials = stored.credentials;
      return stored.credentials;
    },
  };
  return ctx;
}

export function testWriteContext<Cr, Co, Op>(
  connector: DestinationConnector<Cr, Co, Op>,
  opts: { credentials: Cr; config: Co; object: string; mode: SyncMode; options: Op; requestsPerSecond?: number; name?: string },
): WriteContext<Cr, Co, Op> & { limiter: ReturnType<typeof memoryLimiter> } {
  const base = testContext({
    credentials: opts.credentials,
    config: opts.config,
    requestsPerSecond: opts.requestsPerSecond ?? connector.capabilities.rateLimit.requestsPerSecond,
    ...(opts.name ? { name: opts.name } : {}),
  });
  // Extend in place: updateCredentials() refreshes base.credentials.
  return Object.assign(base, { object: opts.object, mode: opts.mode, options: opts.options });
}

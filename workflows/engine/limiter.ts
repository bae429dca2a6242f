/**
 * Rate limits belong to a destination ACCOUNT, not to a sync: every worker and
 * every run writing to the same account share one budget, stored in PostgreSQL
 * (rate-limiter-flexible's Postgres store, table `rate_limits`).
 *
 * The budget is `requestsPerSecond` tokens per one-second window (fixed
 * windows; connectors declare a rate with headroom under the API's limit).
 * A 429 with Retry-After pauses the whole account: `pause()` consumes the
 * remaining budget for that long, so other workers wait too.
 */
import type pg from 'pg';
import { RateLimiterPostgres, RateLimiterRes } from 'rate-limiter-flexible';
import type { RateLimiter } from '../../connectors/sdk/types';

const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const t = setTimeout(resolve, ms);
    signal?.addEventListener(
      'abort',
      () => {
        clearTimeout(t);
        reject(signal.reason);
      },
      { once: true },
    );
  });

export function createLimiterFactory(pool: pg.Pool) {
  const stores = new Map<string, RateLimiterPostgres>();
  const storeFor = (points: number, duration: number) => {
    const key = `${points}/${duration}`;
    let s = stores.get(key);
    if (!s) {
      s = new RateLimiterPostgres({
        storeClient: pool,
        storeType: 'pool',
        tableName: 'rate_limits',
        tableCreated: true,
        keyPrefix: `bf:${points}/${duration}`,
        points,
        duration,
      });
      stores.set(key, s);
    }
    return s;
  };

  return (accountKey: string, rate: { requestsPerSecond: number; burst?: number }): RateLimiter => {
    // Sub-1 rates (e.g. 0.5/s) become N points per N seconds.
    const duration = rate.requestsPerSecond >= 1 ? 1 : Math.ceil(1 / rate.requestsPerSecond);
    const points = Math.max(1, Math.floor(rate.requestsPerSecond * duration));
    const store = storeFor(points, duration);
    const pauseStore = storeFor(1, 1);
    const pauseKey = `pause:${accountKey}`;
    return {
      async take(tokens = 1, signal) {
        for (;;) {
          // A pause set by any worker (429 + Retry-After) blocks the account.
          const paused = await pauseStore.get(pauseKey);
          if (paused && paused.consumedPoints > 1 && paused.msBeforeNext > 0) {
            await sleep(paused.msBeforeNext, signal);
            continue;
          }
          try {
            await store.consume(accountKey, tokens);
            return;
          } catch (res) {
            if (!(res instanceof RateLimiterRes)) throw res;
            await sleep(Math.max(5, res.msBeforeNext), signal);
          }
        }
      },
      async pause(ms) {
        if (ms <= 0) return;
        // A block with a custom duration: consumed points > 1 marks it as a pause.
        await pauseStore.block(pauseKey, Math.ceil(ms / 1000));
      },
    };
  };
}

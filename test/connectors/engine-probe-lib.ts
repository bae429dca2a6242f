/**
 * The conformance kit's cross-process rate-limit check, parent side:
 *
 *   - the message formats between the kit and test/connectors/engine-probe.ts
 *     (a stand-in for a worker process: it builds a connector context with the
 *     REAL shared limiter over the test database and calls write());
 *   - startProbes(): starts probe processes early; run() hands each its spec
 *     on stdin, releases them at the same moment (READY → spec → SET → GO)
 *     and collects their reports;
 *   - budgetViolation(): checks request timestamps against the limiter's
 *     budget (fixed windows, see workflows/engine/limiter.ts).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { z } from 'zod';
import { OPERATIONS, SYNC_MODES, type JsonValue } from '../../connectors/sdk/types';

const ZJson: z.ZodType<JsonValue> = z.lazy(() => z.union([z.string(), z.number(), z.boolean(), z.null(), z.array(ZJson), z.record(z.string(), ZJson)]));

export const ZProbeWriteRow = z.object({
  recordKey: z.string(),
  op: z.enum(OPERATIONS),
  fields: z.record(z.string(), ZJson),
  match: z.object({ field: z.string(), value: z.string() }),
  externalId: z.string().optional(),
  idempotencyKey: z.string(),
  setOnlyIfEmpty: z.array(z.string()).optional(),
});

export const ZProbeSpec = z.object({
  databaseUrl: z.string().min(1),
  connectionName: z.string().min(1),
  /** Both probes use the same key: one shared budget, as for one destination account. */
  accountKey: z.string().min(1),
  requestsPerSecond: z.number().positive(),
  /** Raw settings as the subject's start() returned them; the probe parses them with the connector's schemas. */
  credentials: z.unknown(),
  config: z.unknown(),
  options: z.unknown(),
  object: z.string().min(1),
  mode: z.enum(SYNC_MODES),
  /** Written one write() call per row, in order. */
  rows: z.array(ZProbeWriteRow),
});
export type TProbeSpec = z.infer<typeof ZProbeSpec>;

export const ZProbeReport = z.object({
  /** Limiter tokens this process took. */
  tokens: z.number().int(),
  writes: z.number().int(),
  accepted: z.number().int(),
  /** Thrown errors and non-accepted rows, for the failure message. */
  problems: z.array(z.string()),
  startedAt: z.number(),
  finishedAt: z.number(),
});
export type TProbeReport = z.infer<typeof ZProbeReport>;

export const PROBE_READY = 'PROBE READY';
export const PROBE_SET = 'PROBE SET';
export const PROBE_GO = 'GO';
export const PROBE_REPORT = 'PROBE REPORT ';

/**
 * The budget the shared limiter enforces for a declared rate; mirrors
 * createLimiterFactory (sub-1 rates become N points per N seconds).
 */
export function limiterBudget(requestsPerSecond: number): { perWindow: number; windowMs: number } {
  const duration = requestsPerSecond >= 1 ? 1 : Math.ceil(1 / requestsPerSecond);
  return { perWindow: Math.max(1, Math.floor(requestsPerSecond * duration)), windowMs: duration * 1000 };
}

/**
 * The shared limiter hands out at most `perWindow` tokens per window; a window
 * opens at the first take after the previous one expired, so consecutive
 * windows start at least `windowMs` apart. Hence any k·perWindow + 1 takes
 * span at least k + 1 windows, and the first and last of them lie more than
 * (k − 1)·windowMs apart. Requests reach the server a little after their
 * take; `slackMs` bounds that delay. Returns the first violation, or null.
 *
 * This is a necessary condition that holds whatever the delivery jitter up to
 * `slackMs`; it does not rebuild the windows exactly, but two budgets where
 * one was due (each process limiting only itself) break it within a few
 * windows. (A plain sliding window would be wrong: fixed windows legitimately
 * allow 2·perWindow requests within a few ms around a window boundary.)
 */
export function budgetViolation(times: number[], perWindow: number, windowMs: number, slackMs = 300): string | null {
  const t = [...times].sort((a, b) => a - b);
  for (let k = 2; k * perWindow < t.length; k++) {
    const need = (k - 1) * windowMs - slackMs;
    for (let i = 0; i + k * perWindow < t.length; i++) {
      const span = t[i + k * perWindow]! - t[i]!;
      if (span <= need) {
        return `${k * perWindow + 1} requests arrived within ${span} ms (from request #${i + 1}), but a budget of ${perWindow} per ${windowMs} ms window needs more than ${need} ms for them`;
      }
    }
  }
  return null;
}

const ROOT = path.resolve(import.meta.dirname, '../..');
const PROBE_SCRIPT = path.join(import.meta.dirname, 'engine-probe.ts');

type RunningProbe = { child: ChildProcess; next(prefix: string): Promise<string>; send(line: string): void };

function spawnProbe(connector: string): RunningProbe {
  const child = spawn(process.execPath, ['--import', 'tsx', PROBE_SCRIPT, connector], { cwd: ROOT, stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (b: Buffer) => {
    stderr = (stderr + b.toString()).slice(-4000);
  });
  const seen: string[] = [];
  const waiting: { prefix: string; resolve: (line: string) => void; reject: (err: Error) => void }[] = [];
  let closed: string | null = null;
  const settle = () => {
    for (const w of [...waiting]) {
      const i = seen.findIndex((l) => l.startsWith(w.prefix));
      if (i >= 0) {
        waiting.splice(waiting.indexOf(w), 1);
        w.resolve(seen.splice(i, 1)[0]!);
      } else if (closed !== null) {
        waiting.splice(waiting.indexOf(w), 1);
        w.reject(new Error(closed));
      }
    }
  };
  createInterface({ input: child.stdout! }).on('line', (line) => {
    seen.push(line);
    settle();
  });
  // 'close' (not 'exit'): stdout is fully read by then, so a last line is never lost to the race.
  child.once('close', (code, signal) => {
    closed = `engine probe (${connector}) exited (${signal ?? code}) — ${stderr.trim() || 'no output on stderr'}`;
    settle();
  });
  return {
    child,
    next: (prefix) =>
      new Promise<string>((resolve, reject) => {
        waiting.push({ prefix, resolve, reject });
        settle();
      }),
    send: (line) => {
      child.stdin?.write(`${line}\n`);
    },
  };
}

async function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([p, new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`${what} took more than ${ms} ms`)), ms)))]);
  } finally {
    clearTimeout(timer);
  }
}

export type ProbeGroup = {
  /** Sends each probe its spec, releases them all at once, and resolves with their reports in order. */
  run(specs: TProbeSpec[], timeoutMs?: number): Promise<TProbeReport[]>;
  /** Kills probes that are still running (a group runs once). */
  stop(): Promise<void>;
};

/**
 * Starts `count` probes for a connector now, so that their start-up (loading
 * TypeScript, the connector, pg) overlaps with other tests; run() then only
 * waits for the writes.
 */
export function startProbes(connector: string, count: number): ProbeGroup {
  const probes = Array.from({ length: count }, () => spawnProbe(connector));
  const ready = Promise.all(probes.map((p) => p.next(PROBE_READY)));
  ready.catch(() => {});
  return {
    async run(specs, timeoutMs = 90_000) {
      if (specs.length !== probes.length) throw new Error(`${specs.length} specs for ${probes.length} probes`);
      await withTimeout(ready, timeoutMs, 'engine probe start-up');
      probes.forEach((p, i) => p.send(JSON.stringify(specs[i])));
      await withTimeout(Promise.all(probes.map((p) => p.next(PROBE_SET))), timeoutMs, 'engine probe set-up');
      // Released together, so the processes compete for the budget from the first request.
      for (const p of probes) p.send(PROBE_GO);
      const lines = await withTimeout(Promise.all(probes.map((p) => p.next(PROBE_REPORT))), timeoutMs, 'engine probe writes');
      return lines.map((l) => ZProbeReport.parse(JSON.parse(l.slice(PROBE_REPORT.length))));
    },
    async stop() {
      await Promise.all(
        probes.map(
          (p) =>
            new Promise<void>((resolve) => {
              if (p.child.exitCode !== null || p.child.signalCode !== null) return resolve();
              p.child.once('close', () => resolve());
              p.child.kill('SIGKILL');
            }),
        ),
      );
    },
  };
}

/**
 * Sandbox server framework: TEST INFRASTRUCTURE that stands in for a SaaS API
 * that cannot be reached from here. Each sandbox (test/sandboxes/<slug>/server.ts)
 * declares routes that implement the documented behaviour of the real API; this
 * module adds what every sandbox needs:
 *
 *   - a raw request log with timestamps      GET  /__sandbox/requests
 *   - a raw create log (every record created) GET  /__sandbox/creates
 *   - the sandbox's records                   GET  /__sandbox/records
 *   - fault injection                         POST /__sandbox/faults   (see ZFault)
 *   - responses held after applying a write   GET  /__sandbox/held, POST /__sandbox/release
 *   - reset                                   POST /__sandbox/reset
 *
 * Faults are applied around the route handler: `status` and `timeout` strike
 * BEFORE the write is applied; `drop_after_apply` and `hold_after_apply` strike
 * AFTER it (the request took effect but the client cannot know).
 */
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { z } from 'zod';

export type SandboxRequest = {
  method: string;
  path: string;
  /** Path parameters from `:name` segments. */
  params: Record<string, string>;
  query: URLSearchParams;
  headers: http.IncomingHttpHeaders;
  /** Parsed JSON body, or the raw string when not JSON, or undefined. */
  body: unknown;
  rawBody: string;
};

export type SandboxResponse = { status: number; body?: unknown; headers?: Record<string, string> };

export type RouteHandler = (req: SandboxRequest) => SandboxResponse | Promise<SandboxResponse>;

export type Route = { method: string; path: string; handler: RouteHandler };

export const ZFault = z.object({
  kind: z.enum(['status', 'timeout', 'drop_after_apply', 'hold_after_apply']),
  /** How many matching requests this fault affects. */
  count: z.number().int().min(1).default(1),
  /** Only requests whose method and path match (path is a substring). */
  method: z.string().optional(),
  path: z.string().optional(),
  /** For kind=status: the status to return, and Retry-After seconds for 429/503. */
  status: z.number().int().min(400).max(599).optional(),
  retryAfterSeconds: z.number().min(0).optional(),
  body: z.unknown().optional(),
  /** For kind=timeout and hold_after_apply: how long to hold (hold: until released when omitted). */
  holdMs: z.number().int().min(0).optional(),
});
export type TFault = z.infer<typeof ZFault>;

export type LoggedRequest = {
  seq: number;
  at: number;
  method: string;
  path: string;
  status: number | null;
  fault: TFault['kind'] | null;
  body: unknown;
};

export type CreateLogEntry = { at: number; object: string; id: string; record: unknown };

export type SandboxState = {
  /** Call from handlers whenever a record is created: the chaos test counts duplicates from this log. */
  logCreate(object: string, id: string, record: unknown): void;
};

export type SandboxDefinition = {
  name: string;
  routes: (state: SandboxState) => Route[];
  /** Records to show on GET /__sandbox/records (query string passed through). */
  records: (query: URLSearchParams) => unknown;
  /** Clears the sandbox's own data on POST /__sandbox/reset. */
  reset: () => void;
};

type Compiled = { method: string; parts: string[]; handler: RouteHandler };

function compile(routes: Route[]): Compiled[] {
  return routes.map((r) => ({ method: r.method.toUpperCase(), parts: r.path.split('/').filter(Boolean), handler: r.handler }));
}

function match(routes: Compiled[], method: string, path: string): { route: Compiled; params: Record<string, string> } | null {
  const parts = path.split('/').filter(Boolean).map(decodeURIComponent);
  for (const route of routes) {
    if (route.method !== method || route.parts.length !== parts.length) continue;
    const params: Record<string, string> = {};
    let ok = true;
    for (let i = 0; i < parts.length; i++) {
      const want = route.parts[i]!;
      if (want.startsWith(':')) params[want.slice(1)] = parts[i]!;
      else if (want !== parts[i]) {
        ok = false;
        break;
      }
    }
    if (ok) return { route, params };
  }
  return null;
}

export type RunningSandbox = { port: number; url: string; close: () => Promise<void> };

export async function startSandbox(def: SandboxDefinition, port = 0): Promise<RunningSandbox> {
  const requests: LoggedRequest[] = [];
  const creates: CreateLogEntry[] = [];
  let faults: (TFault & { remaining: number })[] = [];
  const held = new Set<{ release: () => void; path: string; at: number }>();
  let seq = 0;
  const state: SandboxState = {
    logCreate: (object, id, record) => creates.push({ at: Date.now(), object, id, record }),
  };
  const routes = compile(def.routes(state));
  const sockets = new Set<Socket>();

  const send = (res: http.ServerResponse, r: SandboxResponse) => {
    const body = r.body === undefined ? '' : typeof r.body === 'string' ? r.body : JSON.stringify(r.body);
    res.writeHead(r.status, {
      ...(r.body !== undefined && typeof r.body !== 'string' ? { 'content-type': 'application/json' } : {}),
      ...r.headers,
    });
    res.end(body);
  };

  const control = async (req: SandboxRequest): Promise<SandboxResponse> => {
    const what = req.path.slice('/__sandbox/'.length);
    if (req.method === 'GET' && what === 'requests') return { status: 200, body: requests };
    if (req.method === 'GET' && what === 'creates') return { status: 200, body: creates };
    if (req.method === 'GET' && what === 'records') return { status: 200, body: def.records(req.query) };
    if (req.method === 'GET' && what === 'held') return { status: 200, body: { held: held.size, paths: [...held].map((h) => h.path) } };
    if (req.method === 'POST' && what === 'release') {
      for (const h of held) h.release();
      return { status: 200, body: { released: true } };
    }
    if (req.method === 'POST' && what === 'faults') {
      const list = z.array(ZFault).safeParse(Array.isArray(req.body) ? req.body : [req.body]);
      if (!list.success) return { status: 400, body: { error: z.prettifyError(list.error) } };
      faults.push(...list.data.map((f) => ({ ...f, remaining: f.count })));
      return { status: 200, body: { faults: faults.length } };
    }
    if (req.method === 'DELETE' && what === 'faults') {
      faults = [];
      return { status: 200, body: { faults: 0 } };
    }
    if (req.method === 'POST' && what === 'reset') {
      def.reset();
      requests.length = 0;
      creates.length = 0;
      faults = [];
      for (const h of held) h.release();
      return { status: 200, body: { reset: true } };
    }
    return { status: 404, body: { error: `unknown sandbox control endpoint ${req.method} ${req.path}` } };
  };

  const takeFault = (method: string, path: string, kinds: TFault['kind'][]) => {
    const f = faults.find(
      (x) => kinds.includes(x.kind) && x.remaining > 0 && (!x.method || x.method.toUpperCase() === method) && (!x.path || path.includes(x.path)),
    );
    if (!f) return null;
    f.remaining--;
    faults = faults.filter((x) => x.remaining > 0);
    return f;
  };

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      void (async () => {
        const url = new URL(req.url ?? '/', 'http://sandbox');
        const rawBody = Buffer.concat(chunks).toString('utf8');
        let body: unknown = undefined;
        if (rawBody) {
          try {
            body = JSON.parse(rawBody);
          } catch {
            body = rawBody;
          }
        }
        const method = (req.method ?? 'GET').toUpperCase();
        const sreq: SandboxRequest = { method, path: url.pathname, params: {}, query: url.searchParams, headers: req.headers, body, rawBody };
        if (url.pathname.startsWith('/__sandbox/')) {
          send(res, await control(sreq));
          return;
        }
        const entry: LoggedRequest = { seq: ++seq, at: Date.now(), method, path: url.pathname, status: null, fault: null, body };
        requests.push(entry);

        const before = takeFault(method, url.pathname, ['status', 'timeout']);
        if (before?.kind === 'status') {
          entry.fault = 'status';
          entry.status = before.status ?? 500;
          const headers: Record<string, string> = {};
          if (before.retryAfterSeconds !== undefined) headers['retry-after'] = String(before.retryAfterSeconds);
          send(res, { status: entry.status, headers, body: before.body ?? { message: `sandbox fault: ${entry.status}` } });
          return;
        }
        if (before?.kind === 'timeout') {
          entry.fault = 'timeout';
          // Never applied; the client gives up first. Close quietly afterwards.
          setTimeout(() => res.destroy(), before.holdMs ?? 120_000).unref();
          return;
        }

        const found = match(routes, method, url.pathname);
        let response: SandboxResponse;
        if (!found) {
          response = { status: 404, body: { message: `${def.name} sandbox: no route for ${method} ${url.pathname}` } };
        } else {
          try {
            response = await found.route.handler({ ...sreq, params: found.params });
          } catch (err) {
            response = { status: 500, body: { message: `${def.name} sandbox bug: ${err instanceof Error ? err.message : String(err)}` } };
          }
        }
        entry.status = response.status;

        const after = takeFault(method, url.pathname, ['drop_after_apply', 'hold_after_apply']);
        if (after?.kind === 'drop_after_apply') {
          entry.fault = 'drop_after_apply';
          res.socket?.destroy();
          return;
        }
        if (after?.kind === 'hold_after_apply') {
          entry.fault = 'hold_after_apply';
          await new Promise<void>((resolve) => {
            const h = { release: resolve, path: url.pathname, at: Date.now() };
            held.add(h);
            if (after.holdMs !== undefined) setTimeout(resolve, after.holdMs).unref();
            res.once('close', () => resolve());
          }).finally(() => {
            for (const h of held) if (h.path === url.pathname) held.delete(h);
          });
          if (res.destroyed) return;
        }
        send(res, response);
      })();
    });
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  const actual = (server.address() as AddressInfo).port;
  return {
    port: actual,
    url: `http://127.0.0.1:${actual}`,
    close: () =>
      new Promise<void>((resolve) => {
        for (const h of held) h.release();
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

/** Entry point for `tsx test/sandboxes/<slug>/server.ts [--port N]`: prints `LISTENING <port>`. */
export async function runSandboxProcess(def: SandboxDefinition): Promise<void> {
  const i = process.argv.indexOf('--port');
  const port = i >= 0 ? Number(process.argv[i + 1]) : 0;
  const running = await startSandbox(def, port);
  console.log(`LISTENING ${running.port}`);
  const stop = () => void running.close().then(() => process.exit(0));
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

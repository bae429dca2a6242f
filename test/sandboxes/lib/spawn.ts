/**
 * Starts a sandbox in its own process (as the real API would be) and gives tests
 * a client for its /__sandbox control endpoints.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { stopChild } from '../../../scripts/lib/temporal-cli';
import type { CreateLogEntry, LoggedRequest, TFault } from './server';

const here = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.resolve(here, '../../..');

export type SandboxProcess = {
  url: string;
  process: ChildProcess;
  requests(): Promise<LoggedRequest[]>;
  creates(): Promise<CreateLogEntry[]>;
  records<T = unknown>(query?: Record<string, string>): Promise<T>;
  fault(f: Partial<TFault> & { kind: TFault['kind'] }): Promise<void>;
  clearFaults(): Promise<void>;
  held(): Promise<number>;
  release(): Promise<void>;
  reset(): Promise<void>;
  stop(): Promise<void>;
};

export async function spawnSandbox(slug: string, opts: { env?: Record<string, string> } = {}): Promise<SandboxProcess> {
  const entry = path.join(ROOT, 'test', 'sandboxes', slug, 'server.ts');
  const child = spawn(path.join(ROOT, 'node_modules', '.bin', 'tsx'), [entry, '--port', '0'], {
    cwd: ROOT,
    env: { ...process.env, ...opts.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr?.on('data', (b: Buffer) => {
    stderr += b.toString();
  });
  const port = await new Promise<number>((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`${slug} sandbox did not start in 30 s: ${stderr}`)), 30_000);
    child.stdout?.on('data', (b: Buffer) => {
      out += b.toString();
      const m = /LISTENING (\d+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(Number(m[1]));
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${slug} sandbox exited with ${code}: ${stderr}`));
    });
  });
  const url = `http://127.0.0.1:${port}`;
  const call = async <T>(method: string, p: string, body?: unknown): Promise<T> => {
    const res = await fetch(`${url}/__sandbox/${p}`, {
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    if (!res.ok) throw new Error(`${slug} sandbox control ${method} ${p}: ${res.status} ${await res.text()}`);
    return (await res.json()) as T;
  };
  return {
    url,
    process: child,
    requests: () => call('GET', 'requests'),
    creates: () => call('GET', 'creates'),
    records: <T>(query: Record<string, string> = {}) => call<T>('GET', `records?${new URLSearchParams(query)}`),
    fault: async (f) => {
      await call('POST', 'faults', f);
    },
    clearFaults: async () => {
      await call('DELETE', 'faults');
    },
    held: async () => (await call<{ held: number }>('GET', 'held')).held,
    release: async () => {
      await call('POST', 'release');
    },
    reset: async () => {
      await call('POST', 'reset');
    },
    stop: () => stopChild(child, 5_000),
  };
}

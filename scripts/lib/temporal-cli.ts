/**
 * Finding, installing and running the Temporal CLI (`temporal server start-dev`).
 * Lookup order: TEMPORAL_CLI, PATH, Go's bin folder ($GOBIN, $(go env GOPATH)/bin).
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { freePort, waitForPort } from './ports';

export const TEMPORAL_CLI_MODULE = 'github.com/temporalio/cli/cmd/temporal@v1.5.1';

function executable(p: string): boolean {
  try {
    accessSync(p, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

export function findGo(): string | null {
  for (const dir of [...(process.env.PATH ?? '').split(path.delimiter), '/usr/local/go/bin']) {
    const p = path.join(dir, 'go');
    if (dir && executable(p)) return p;
  }
  return null;
}

function goBinDir(go: string | null): string[] {
  const dirs: string[] = [];
  if (go) {
    try {
      const out = execFileSync(go, ['env', 'GOBIN', 'GOPATH'], { encoding: 'utf8', env: { ...process.env, GOTOOLCHAIN: 'local' } });
      const [gobin, gopath] = out.split('\n');
      if (gobin) dirs.push(gobin);
      if (gopath) dirs.push(...gopath.split(path.delimiter).map((p) => path.join(p, 'bin')));
    } catch {
      /* fall through to the default */
    }
  }
  dirs.push(path.join(os.homedir(), 'go', 'bin'));
  return dirs;
}

export type TemporalCliLookup = { path: string; source: 'TEMPORAL_CLI' | 'PATH' | 'go bin' } | null;

export function findTemporalCli(override?: string): TemporalCliLookup {
  if (override) return executable(override) ? { path: override, source: 'TEMPORAL_CLI' } : null;
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    const p = path.join(dir, 'temporal');
    if (dir && executable(p)) return { path: p, source: 'PATH' };
  }
  for (const dir of goBinDir(findGo())) {
    const p = path.join(dir, 'temporal');
    if (executable(p)) return { path: p, source: 'go bin' };
  }
  return null;
}

export const TEMPORAL_MISSING_FIX =
  'install Go (https://go.dev/dl) and run `npm run setup`, or download the Temporal CLI from https://temporal.io/setup/install-temporal-cli and set TEMPORAL_CLI=/path/to/temporal';

/** `go install`s the Temporal CLI; returns its path. Takes minutes on a first build. */
export function installTemporalCli(log: (m: string) => void): string {
  const go = findGo();
  if (!go) throw new Error(`the Temporal CLI is not installed and Go was not found — fix: ${TEMPORAL_MISSING_FIX}`);
  log(`building the Temporal CLI with ${go} install ${TEMPORAL_CLI_MODULE} (several minutes the first time)`);
  execFileSync(go, ['install', TEMPORAL_CLI_MODULE], {
    stdio: ['ignore', 'inherit', 'inherit'],
    env: { ...process.env, GOTOOLCHAIN: 'local' },
  });
  const found = findTemporalCli();
  if (!found) throw new Error('go install finished but the temporal binary was not found in Go\'s bin folder');
  return found.path;
}

export type DevServerOptions = {
  binary: string;
  port: number;
  uiPort?: number;
  /** SQLite file; omit for an in-memory server (tests). */
  dbFile?: string;
  headless?: boolean;
  onOutput?: (line: string) => void;
};

export type DevServer = { process: ChildProcess; address: string; port: number; stop: () => Promise<void> };

/** The dev server exited before it listened (a port taken, a bad flag, a corrupt database file). */
export class DevServerExitedError extends Error {}

export async function startDevServer(opts: DevServerOptions): Promise<DevServer> {
  const args = ['server', 'start-dev', '--ip', '127.0.0.1', '--port', String(opts.port), '--log-level', 'warn'];
  if (opts.dbFile) {
    await mkdir(path.dirname(opts.dbFile), { recursive: true });
    args.push('--db-filename', opts.dbFile);
  }
  if (opts.headless || opts.uiPort === undefined) args.push('--headless');
  else args.push('--ui-port', String(opts.uiPort));
  const child = spawn(opts.binary, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let exited: string | null = null;
  const tail: string[] = [];
  const onData = (buf: Buffer) => {
    for (const line of buf.toString('utf8').split('\n')) {
      if (!line.trim()) continue;
      tail.push(line);
      if (tail.length > 20) tail.shift();
      opts.onOutput?.(line);
    }
  };
  child.stdout?.on('data', onData);
  child.stderr?.on('data', onData);
  child.once('exit', (code, signal) => {
    exited = `exited with ${signal ?? code}`;
  });
  try {
    await Promise.race([
      waitForPort(opts.port, '127.0.0.1', 60_000, 'Temporal dev server'),
      new Promise((_, reject) => {
        child.once('exit', () => reject(new DevServerExitedError(`Temporal dev server ${exited}: ${tail.slice(-8).join(' / ')}`)));
        child.once('error', (e) => reject(e));
      }),
    ]);
  } catch (err) {
    child.kill('SIGKILL');
    throw err;
  }
  return {
    process: child,
    address: `127.0.0.1:${opts.port}`,
    port: opts.port,
    stop: () => stopChild(child, 15_000),
  };
}

/**
 * startDevServer on a port the OS picks, and again on another one when the
 * server exits while starting. A port found free can be taken before the
 * server binds it, and the dev server picks the ports of its internal
 * services the same way: with test files starting servers in parallel, one
 * start in a CI run exited with status 2 (a Go panic) before it listened.
 */
export async function startDevServerOnFreePort(opts: Omit<DevServerOptions, 'port'>, attempts = 3): Promise<DevServer> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await startDevServer({ ...opts, port: await freePort() });
    } catch (err) {
      if (attempt >= attempts || !(err instanceof DevServerExitedError)) throw err;
      opts.onOutput?.(`${err.message}; starting it again on another port`);
    }
  }
}

/** SIGTERM, then SIGKILL after graceMs. Resolves when the process has exited. */
export function stopChild(child: ChildProcess, graceMs: number): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

export function devServerDbFile(dataDir: string): string {
  return path.join(dataDir, 'temporal.db');
}

/**
 * Starting the Temporal dev server on a port the OS picks: a start that exits
 * before it listens (a port taken in between, a panic) is tried again on
 * another port, and a server that keeps failing is reported with its output.
 */
import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { DevServerExitedError, startDevServerOnFreePort, type DevServer } from '../../scripts/lib/temporal-cli';
import { isPortInUse } from '../../scripts/lib/ports';

describe('Temporal dev server start', () => {
  let dir: string | undefined;
  let server: DevServer | undefined;
  afterAll(async () => {
    await server?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  /** A stand-in for the CLI that exits with status 2 for its first `failures` starts, then runs the real one. */
  async function flakyCli(failures: number): Promise<{ binary: string; starts: () => Promise<number> }> {
    dir ??= await mkdtemp(path.join(tmpdir(), 'bf-temporal-cli-'));
    const counter = path.join(dir, `starts-${failures}`);
    const binary = path.join(dir, `temporal-${failures}`);
    await writeFile(counter, '0');
    await writeFile(
      binary,
      `#!/bin/sh
n=$(($(cat '${counter}') + 1)); echo $n > '${counter}'
if [ $n -le ${failures} ]; then echo "panic: listen tcp: address already in use (start $n)" >&2; exit 2; fi
exec '${inject('temporalCli')}' "$@"
`,
    );
    await chmod(binary, 0o755);
    return { binary, starts: async () => Number((await readFile(counter, 'utf8')).trim()) };
  }

  it('starts again on another port when a start exits before it listens', { timeout: 90_000 }, async () => {
    const cli = await flakyCli(1);
    const output: string[] = [];
    server = await startDevServerOnFreePort({ binary: cli.binary, headless: true, onOutput: (l) => output.push(l) });
    expect(await cli.starts()).toBe(2);
    expect(await isPortInUse(server.port)).toBe(true);
    expect(output.some((l) => l.includes('exited with 2') && l.includes('address already in use (start 1)') && l.includes('starting it again on another port'))).toBe(true);
  });

  it('gives up after its attempts, with the server\'s own output', async () => {
    const cli = await flakyCli(5);
    const err = await startDevServerOnFreePort({ binary: cli.binary, headless: true }, 3).then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(DevServerExitedError);
    expect((err as Error).message).toContain('address already in use (start 3)');
    expect(await cli.starts()).toBe(3);
  });
});

/**
 * `npm run build:worker`: builds the worker (workflows/temporal/worker-command.ts)
 * into node_modules/.cache/backflow-worker and prints how to start it.
 * `npm run worker` (`--run`): builds it, then runs one worker in the foreground
 * with the environment of this shell; Ctrl-C stops it gracefully.
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { buildWorker } from '../workflows/temporal/worker-command';

const { argv, env } = await buildWorker();
if (!process.argv.includes('--run')) {
  console.log(`built; start a worker with: ${Object.entries(env).map(([k, v]) => `${k}=${v} `).join('')}node ${argv.map((a) => (path.isAbsolute(a) ? path.relative(process.cwd(), a) : a)).join(' ')}`);
} else {
  const child = spawn(process.execPath, argv, { stdio: 'inherit', env: { ...process.env, ...env } });
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => child.kill(signal));
  child.once('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
}

/**
 * `npm run doctor`: checks PostgreSQL, migrations, Temporal, the worker and the
 * demo warehouse, prints each with its fix, and exits 0 only when all are healthy.
 *   --json   machine-readable output
 */
import { env, EnvError } from '../app/_server/env';
import { runChecks } from '../app/_server/health';
import { fail } from './lib/log';

async function main(): Promise<void> {
  let e;
  try {
    e = env();
  } catch (err) {
    if (err instanceof EnvError) fail(err.message);
    throw err;
  }
  const checks = await runChecks(e);
  if (process.argv.includes('--json')) {
    console.log(JSON.stringify(checks));
  } else {
    const width = Math.max(...checks.map((c) => c.label.length));
    for (const c of checks) {
      console.log(`${c.ok ? '✔' : '✖'} ${c.label.padEnd(width)}  ${c.detail}`);
      if (!c.ok && c.fix) console.log(`  ${' '.repeat(width)}  fix: ${c.fix}`);
    }
  }
  const failed = checks.filter((c) => !c.ok).length;
  if (!process.argv.includes('--json')) console.log(failed ? `\n${failed} problem(s) found.` : '\nAll healthy.');
  process.exit(failed ? 1 : 0);
}

main().catch((err: unknown) => fail(err instanceof Error ? err.message : String(err)));

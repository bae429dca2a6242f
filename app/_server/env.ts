/**
 * Environment: the one module that reads `process.env`.
 *
 * 1. `.env` in the project root is loaded first (existing variables win), so the
 *    app, the worker, scripts and tests all see the same configuration.
 * 2. Every variable is validated with zod. A bad value stops start-up with ONE
 *    line that names the variable and says how to fix it (`EnvError`).
 * 3. Secrets are validated separately (`requireSecrets`) so that tooling such as
 *    `prisma generate` works on a fresh clone before `npm run setup` made them.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';

export const PROJECT_ROOT = process.cwd();

const envFile = path.join(PROJECT_ROOT, '.env');
// BACKFLOW_IGNORE_DOTENV=1 isolates a process from the checkout's .env (tests).
if (process.env.BACKFLOW_IGNORE_DOTENV !== '1' && existsSync(envFile)) process.loadEnvFile(envFile);

const port = z.coerce.number().int().min(1).max(65535);
const optionalString = z
  .string()
  .optional()
  .transform((v) => (v === undefined || v.trim() === '' ? undefined : v.trim()));

const postgresUrl = z
  .string()
  .regex(/^postgres(ql)?:\/\/[^\s]+$/, 'expected postgres://user:password@host:port/database');

export const ZEnv = z.object({
  NODE_ENV: z.enum(['development', 'test', 'production']).default('development'),
  DATA_DIR: z.string().default('.data'),
  PORT: port.default(3000),
  APP_URL: z.url().optional(),
  DATABASE_URL: optionalString.pipe(postgresUrl.optional()),
  EMBEDDED_PG_PORT: port.default(54329),
  TEMPORAL_ADDRESS: optionalString.pipe(
    z.string().regex(/^[\w.-]+:\d+$/, 'expected host:port, e.g. 127.0.0.1:7233').optional(),
  ),
  TEMPORAL_NAMESPACE: z.string().min(1).default('default'),
  TEMPORAL_TASK_QUEUE: z.string().min(1).default('backflow'),
  TEMPORAL_CLI: optionalString,
  TEMPORAL_PORT: port.default(7233),
  TEMPORAL_UI_PORT: port.default(8233),
  TEMPORAL_UI_URL: optionalString.pipe(z.url().optional()),
  WAREHOUSE_PATH: optionalString,
  NEXTAUTH_SECRET: optionalString.pipe(z.string().min(32, 'must be at least 32 characters').optional()),
  BACKFLOW_ENCRYPTION_KEY: optionalString.pipe(
    z
      .string()
      .refine((v) => Buffer.from(v, 'base64').length === 32, 'must be 32 bytes, base64-encoded')
      .optional(),
  ),
  ADMIN_EMAIL: optionalString.pipe(z.email().optional()),
  ADMIN_PASSWORD: optionalString.pipe(z.string().min(10, 'must be at least 10 characters').optional()),
  LOG_LEVEL: z.enum(['debug', 'info', 'warn', 'error']).default('info'),
  /** Another workflow bundle than the built worker's own (workflows/temporal/worker-command.ts); a worker run from source bundles at start-up without either. */
  BACKFLOW_WORKFLOW_BUNDLE: optionalString,
  /** Workers check each bucket summary finalize settles against sync_state (workflows/engine/bucket-summary.ts): one scan of the target's sync state per run; the tests switch it on. */
  BACKFLOW_VERIFY_SUMMARIES: z.enum(['0', '1']).default('0'),
  /** TEST ONLY: switches the intent ledger off so the chaos control run can show duplicates. */
  BACKFLOW_TEST_DISABLE_INTENT_LEDGER: z.enum(['0', '1']).default('0'),
});
export type TEnvVars = z.infer<typeof ZEnv>;

/** How to fix each variable, appended to the one-line error. */
const FIXES: Partial<Record<keyof TEnvVars, string>> = {
  NODE_ENV: 'use development, test or production',
  PORT: 'set PORT to a free TCP port, e.g. PORT=3000',
  APP_URL: 'set APP_URL to the public URL of the app, e.g. http://localhost:3000',
  DATABASE_URL:
    'set DATABASE_URL=postgresql://user:password@host:5432/db, or unset it to use the embedded PostgreSQL',
  EMBEDDED_PG_PORT: 'set EMBEDDED_PG_PORT to a free TCP port, e.g. 54329',
  TEMPORAL_ADDRESS: 'set TEMPORAL_ADDRESS=host:port of a Temporal frontend, or unset it to use the local dev server',
  TEMPORAL_PORT: 'set TEMPORAL_PORT to a free TCP port, e.g. 7233',
  TEMPORAL_UI_PORT: 'set TEMPORAL_UI_PORT to a free TCP port, e.g. 8233',
  TEMPORAL_UI_URL: 'set TEMPORAL_UI_URL to the Temporal Web UI URL, e.g. http://localhost:8233',
  NEXTAUTH_SECRET: 'run `npm run setup` to generate one into .env, or set NEXTAUTH_SECRET=$(openssl rand -base64 32)',
  BACKFLOW_ENCRYPTION_KEY:
    'run `npm run setup` to generate one into .env, or set BACKFLOW_ENCRYPTION_KEY=$(openssl rand -base64 32)',
  ADMIN_EMAIL: 'set ADMIN_EMAIL to a valid address, or unset it',
  ADMIN_PASSWORD: 'use at least 10 characters, or unset it to have setup generate one',
  LOG_LEVEL: 'use debug, info, warn or error',
};

export class EnvError extends Error {
  constructor(
    readonly variable: string,
    problem: string,
  ) {
    const fix = FIXES[variable as keyof TEnvVars];
    super(`${variable} ${problem}${fix ? ` — fix: ${fix}` : ''}`);
    this.name = 'EnvError';
  }
}

export type Env = TEnvVars & {
  dataDir: string;
  appUrl: string;
  /** The PostgreSQL the app uses: DATABASE_URL, or the embedded server. */
  databaseUrl: string;
  usesEmbeddedPostgres: boolean;
  temporalAddress: string;
  usesLocalTemporal: boolean;
  temporalUiUrl: string;
  warehousePath: string;
};

export function parseEnv(source: Record<string, string | undefined>): Env {
  const parsed = ZEnv.safeParse(source);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const variable = String(issue.path[0] ?? 'environment');
    const value = source[variable];
    const shown = value === undefined ? 'is missing' : `is invalid (${JSON.stringify(value)}): ${issue.message}`;
    throw new EnvError(variable, shown);
  }
  const v = parsed.data;
  const dataDir = path.resolve(/*turbopackIgnore: true*/ PROJECT_ROOT, v.DATA_DIR);
  return {
    ...v,
    dataDir,
    appUrl: v.APP_URL ?? `http://localhost:${v.PORT}`,
    databaseUrl: v.DATABASE_URL ?? embeddedDatabaseUrl(v.EMBEDDED_PG_PORT),
    // Children of `npm start` get the embedded server's URL explicitly.
    usesEmbeddedPostgres: v.DATABASE_URL === undefined || v.DATABASE_URL === embeddedDatabaseUrl(v.EMBEDDED_PG_PORT),
    temporalAddress: v.TEMPORAL_ADDRESS ?? `127.0.0.1:${v.TEMPORAL_PORT}`,
    usesLocalTemporal: v.TEMPORAL_ADDRESS === undefined,
    temporalUiUrl: v.TEMPORAL_UI_URL ?? `http://localhost:${v.TEMPORAL_UI_PORT}`,
    warehousePath: path.resolve(/*turbopackIgnore: true*/ PROJECT_ROOT, v.WAREHOUSE_PATH ?? path.join(v.DATA_DIR, 'warehouse.duckdb')),
  };
}

export function embeddedDatabaseUrl(port: number): string {
  return `postgresql://postgres:postgres@127.0.0.1:${port}/backflow`;
}

let cached: Env | undefined;
export function env(): Env {
  cached ??= parseEnv(process.env);
  return cached;
}

/** For `npm run setup`, which writes generated secrets before the first parse. */
export function hasEnvValue(key: string): boolean {
  return Boolean(process.env[key]?.trim());
}
export function setEnvValue(key: string, value: string): void {
  process.env[key] = value;
  cached = undefined;
}

/** Secrets the running app and worker cannot do without. */
export function requireSecrets(e: Env = env()): { authSecret: string; encryptionKey: Buffer } {
  if (!e.NEXTAUTH_SECRET) throw new EnvError('NEXTAUTH_SECRET', 'is missing');
  if (!e.BACKFLOW_ENCRYPTION_KEY) throw new EnvError('BACKFLOW_ENCRYPTION_KEY', 'is missing');
  return { authSecret: e.NEXTAUTH_SECRET, encryptionKey: Buffer.from(e.BACKFLOW_ENCRYPTION_KEY, 'base64') };
}

/**
 * Environment for child processes started by scripts (app, worker): the parent
 * resolves the embedded/dev-server defaults once and passes them down explicitly.
 */
export function childProcessEnv(e: Env, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return {
    ...process.env,
    DATABASE_URL: e.databaseUrl,
    TEMPORAL_ADDRESS: e.temporalAddress,
    NEXTAUTH_URL: e.appUrl,
    NEXT_TELEMETRY_DISABLED: '1',
    // The app links to the local dev server's Web UI even though it gets TEMPORAL_ADDRESS.
    ...(e.usesLocalTemporal ? { TEMPORAL_UI_URL: e.temporalUiUrl } : {}),
    ...extra,
  };
}

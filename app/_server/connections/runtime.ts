/**
 * From a stored Connection to a ready ConnectorContext: decrypts credentials,
 * validates them and the config against the connector's schemas, and wires the
 * shared rate limiter and serialized credential rotation (OAuth refresh).
 *
 * Used by the app (test, discover, preview) and by the worker (extract, deliver).
 */
import { findConnector } from '../../../connectors/registry';
import { ConnectorError, type AnyConnector, type ConnectorContext, type Logger, type RateLimiter } from '../../../connectors/sdk/types';
import type { Db } from '../db';
import { decryptJson, encryptJson } from '../crypto';

export type ConnectionRow = {
  id: string;
  name: string;
  connector: string;
  config: unknown;
  credentials: string;
  accountKey: string | null;
};

export type LimiterFactory = (accountKey: string, rate: { requestsPerSecond: number; burst?: number }) => RateLimiter;

/** No limit: sources, and app-side calls of connectors without a declared rate. */
export const unlimited: RateLimiter = { take: async () => {}, pause: async () => {} };

const consoleLogger = (prefix: string): Logger => ({
  info: (m, meta) => console.log(`${prefix} ${m}`, meta ?? ''),
  warn: (m, meta) => console.warn(`${prefix} ${m}`, meta ?? ''),
  error: (m, meta) => console.error(`${prefix} ${m}`, meta ?? ''),
});

export class ConnectionConfigError extends Error {}

/** The credentials are bound to the connection id (AES-GCM additional data). */
export function encryptCredentials(connectionId: string, credentials: unknown): string {
  return encryptJson(credentials, `connection:${connectionId}`);
}

export function decryptCredentials(connectionId: string, blob: string): unknown {
  return decryptJson(blob, `connection:${connectionId}`);
}

export function parseConnection(row: ConnectionRow): { connector: AnyConnector; credentials: unknown; config: unknown } {
  const connector = findConnector(row.connector);
  if (!connector) {
    throw new ConnectionConfigError(`connection "${row.name}" uses connector "${row.connector}", which this Backflow does not have — fix: upgrade, or delete the connection`);
  }
  const credentials = connector.credentialsSchema.safeParse(decryptCredentials(row.id, row.credentials));
  if (!credentials.success) {
    const issue = credentials.error.issues[0];
    throw new ConnectionConfigError(
      `connection "${row.name}": stored credentials are invalid (${issue?.path.join('.') || 'credentials'}: ${issue?.message}) — fix: edit the connection and re-enter them`,
    );
  }
  const config = connector.configSchema.safeParse(row.config);
  if (!config.success) {
    const issue = config.error.issues[0];
    throw new ConnectionConfigError(
      `connection "${row.name}": setting ${issue?.path.join('.') || 'config'} is invalid: ${issue?.message} — fix: edit the connection`,
    );
  }
  return { connector, credentials: credentials.data, config: config.data };
}

export function buildContext(
  db: Db,
  row: ConnectionRow,
  opts: { limiterFactory?: LimiterFactory; signal?: AbortSignal; log?: Logger } = {},
): { connector: AnyConnector; ctx: ConnectorContext<unknown, unknown> } {
  const { connector, credentials, config } = parseConnection(row);
  const limiter =
    connector.kind === 'destination' && opts.limiterFactory
      ? opts.limiterFactory(row.accountKey ?? row.id, connector.capabilities.rateLimit)
      : unlimited;
  const ctx: ConnectorContext<unknown, unknown> = {
    connectionId: row.id,
    connectionName: row.name,
    credentials,
    config,
    limiter,
    signal: opts.signal ?? new AbortController().signal,
    log: opts.log ?? consoleLogger(`[${row.name}]`),
    async updateCredentials(fn) {
      // One rotation at a time across every worker: the row lock serializes
      // refreshes, and `fn` sees whatever the previous holder stored.
      const next = await db.$transaction(
        async (tx) => {
          const locked = await tx.$queryRaw<{ credentials: string }[]>`SELECT credentials FROM "Connection" WHERE id = ${row.id} FOR UPDATE`;
          if (!locked[0]) throw new ConnectorError(`connection "${row.name}" was deleted`, { code: 'config', retryable: false, applied: 'no' });
          const current = connector.credentialsSchema.parse(decryptCredentials(row.id, locked[0].credentials));
          const updated = connector.credentialsSchema.parse(await fn(current));
          const blob = encryptCredentials(row.id, updated);
          await tx.connection.update({ where: { id: row.id }, data: { credentials: blob } });
          row.credentials = blob;
          return updated;
        },
        { timeout: 60_000, maxWait: 60_000 },
      );
      ctx.credentials = next;
      return next;
    },
  };
  return { connector, ctx };
}

/** Loads a connection of the workspace and builds its context. */
export async function loadConnection(
  db: Db,
  workspaceId: string,
  connectionId: string,
  opts: Parameters<typeof buildContext>[2] = {},
) {
  const row = await db.connection.findFirst({ where: { id: connectionId, workspaceId } });
  if (!row) throw new ConnectionConfigError(`connection ${connectionId} does not exist in this workspace — fix: pick another connection`);
  return { row, ...buildContext(db, row, opts) };
}

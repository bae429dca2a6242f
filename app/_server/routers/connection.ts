/**
 * Connections: configured connectors of a workspace.
 *
 * Credentials are validated against the connector's schema, encrypted
 * (AES-256-GCM, bound to the connection id) and never leave the server again:
 * reads say only which credential fields are set. Everything is scoped by the
 * caller's workspace; a connection of another workspace is "not found".
 */
import { existsSync } from 'node:fs';
import { TRPCError } from '@trpc/server';
import { findConnector } from '../../../connectors/registry';
import { isConnectorError, type AnyConnector } from '../../../connectors/sdk/types';
import { Prisma, type Connection } from '../../../prisma/generated/client';
import { connectorCatalog } from '../connections/catalog';
import { buildContext, decryptCredentials, encryptCredentials } from '../connections/runtime';
import { connectionUsage, describeUsage, type PipelineUse } from '../connections/usage';
import { checkConnectionInput, credentialsSet, mergeCredentials, toJsonObject } from '../connections/validate';
import type { Db } from '../db';
import { env } from '../env';
import { createTRPCRouter, roleProcedure } from '../trpc';
import { ZConnectionIdInput, ZCreateConnectionInput, ZListConnectionsInput, ZUpdateConnectionInput } from './connection.schema';

const TEST_TIMEOUT_MS = 60_000;

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** The discriminator of a connector's credential alternatives (e.g. `type`: token | oauth), if any. */
function credentialsDiscriminator(slug: string): string | undefined {
  return connectorCatalog().find((c) => c.slug === slug)?.forms.credentials.variants?.discriminator;
}

/** What the browser may see of a connection: never the credentials themselves. */
function toView(row: Connection, usedBy: PipelineUse[]) {
  const connector = findConnector(row.connector);
  const discriminator = credentialsDiscriminator(row.connector);
  let set: Record<string, boolean> = {};
  let variant: string | null = null;
  let credentialsError: string | null = null;
  try {
    const stored = decryptCredentials(row.id, row.credentials);
    set = credentialsSet(stored);
    if (discriminator && stored && typeof stored === 'object') {
      const v: unknown = Object.fromEntries(Object.entries(stored))[discriminator];
      if (typeof v === 'string') variant = v;
      delete set[discriminator];
    }
  } catch (err) {
    credentialsError = message(err);
  }
  return {
    id: row.id,
    name: row.name,
    kind: row.kind,
    connector: row.connector,
    connectorName: connector?.displayName ?? row.connector,
    icon: connector?.icon ?? '❔',
    connectorMissing: !connector,
    config: row.config,
    credentialsSet: set,
    credentialsVariant: variant,
    credentialsError,
    accountKey: row.accountKey,
    lastTestedAt: row.lastTestedAt,
    lastTestOk: row.lastTestOk,
    lastTestMessage: row.lastTestMessage,
    createdAt: row.createdAt,
    updatedAt: row.updatedAt,
    usedBy,
  };
}
export type TConnectionView = ReturnType<typeof toView>;

async function findOwn(db: Db, workspaceId: string, id: string): Promise<Connection> {
  const row = await db.connection.findFirst({ where: { id, workspaceId } });
  if (!row) throw new TRPCError({ code: 'NOT_FOUND', message: `Connection ${id} does not exist in this workspace.` });
  return row;
}

function connectorOrThrow(slug: string): AnyConnector {
  const c = findConnector(slug);
  if (!c) {
    throw new TRPCError({
      code: 'BAD_REQUEST',
      message: `Unknown connector "${slug}" — fix: pick one of ${connectorCatalog()
        .map((x) => x.slug)
        .join(', ')}.`,
    });
  }
  return c;
}

function invalidInput(connectorName: string, checked: { error: unknown; summary: string }): TRPCError {
  return new TRPCError({ code: 'BAD_REQUEST', message: `${connectorName} settings are invalid: ${checked.summary}`, cause: checked.error });
}

function nameTaken(err: unknown, name: string): TRPCError | null {
  if (err instanceof Prisma.PrismaClientKnownRequestError && err.code === 'P2002') {
    return new TRPCError({ code: 'CONFLICT', message: `A connection named "${name}" already exists in this workspace — fix: pick another name.` });
  }
  return null;
}

export const connectionRouter = createTRPCRouter({
  /** The connector registry, with JSON Schemas and form fields for each connector's settings. */
  connectors: roleProcedure('viewer').query(() => connectorCatalog()),

  /** The bundled demo warehouse, for the one-click connection of the empty state. */
  demoWarehouse: roleProcedure('viewer').query(() => {
    const path = env().warehousePath;
    return { path, exists: existsSync(path) };
  }),

  list: roleProcedure('viewer')
    .input(ZListConnectionsInput)
    .query(async ({ ctx, input }) => {
      const [rows, usage] = await Promise.all([
        ctx.db.connection.findMany({
          where: { workspaceId: ctx.membership.workspaceId, ...(input.kind ? { kind: input.kind } : {}) },
          orderBy: [{ kind: 'asc' }, { name: 'asc' }],
        }),
        connectionUsage(ctx.db, ctx.membership.workspaceId),
      ]);
      return rows.map((r) => toView(r, usage.get(r.id) ?? []));
    }),

  get: roleProcedure('viewer')
    .input(ZConnectionIdInput)
    .query(async ({ ctx, input }) => {
      const row = await findOwn(ctx.db, ctx.membership.workspaceId, input.id);
      const usage = await connectionUsage(ctx.db, ctx.membership.workspaceId);
      return toView(row, usage.get(row.id) ?? []);
    }),

  create: roleProcedure('editor')
    .input(ZCreateConnectionInput)
    .mutation(async ({ ctx, input }) => {
      const connector = connectorOrThrow(input.connector);
      const checked = checkConnectionInput(connector, input);
      if (!checked.ok) throw invalidInput(connector.displayName, checked);
      try {
        const row = await ctx.db.$transaction(async (tx) => {
          // The id is the AES-GCM associated data, so the row exists before its credentials are sealed.
          const created = await tx.connection.create({
            data: {
              workspaceId: ctx.membership.workspaceId,
              name: input.name,
              kind: connector.kind,
              connector: connector.slug,
              config: toJsonObject(checked.config),
              credentials: '',
              accountKey: input.accountKey ?? null,
              createdById: ctx.user.id,
            },
          });
          return tx.connection.update({ where: { id: created.id }, data: { credentials: encryptCredentials(created.id, checked.credentials) } });
        });
        return toView(row, []);
      } catch (err) {
        throw nameTaken(err, input.name) ?? err;
      }
    }),

  update: roleProcedure('editor')
    .input(ZUpdateConnectionInput)
    .mutation(async ({ ctx, input }) => {
      const row = await findOwn(ctx.db, ctx.membership.workspaceId, input.id);
      const connector = connectorOrThrow(row.connector);
      let stored: unknown = {};
      try {
        stored = decryptCredentials(row.id, row.credentials);
      } catch {
        // Undecryptable (the key changed): the edit must re-enter every credential, which the schema check enforces.
      }
      const discriminator = credentialsDiscriminator(row.connector);
      const credentials = mergeCredentials(stored, input.credentials, { clear: input.clearCredentials, ...(discriminator ? { discriminator } : {}) });
      const checked = checkConnectionInput(connector, { credentials, config: input.config ?? row.config });
      if (!checked.ok) throw invalidInput(connector.displayName, checked);
      const settingsChanged = input.config !== undefined || input.credentials !== undefined || input.clearCredentials.length > 0;
      try {
        const updated = await ctx.db.connection.update({
          where: { id: row.id },
          data: {
            ...(input.name !== undefined ? { name: input.name } : {}),
            ...(input.accountKey !== undefined ? { accountKey: input.accountKey || null } : {}),
            config: toJsonObject(checked.config),
            credentials: encryptCredentials(row.id, checked.credentials),
            // A test of the old settings says nothing about the new ones.
            ...(settingsChanged ? { lastTestedAt: null, lastTestOk: null, lastTestMessage: null } : {}),
          },
        });
        const usage = await connectionUsage(ctx.db, ctx.membership.workspaceId);
        return toView(updated, usage.get(updated.id) ?? []);
      } catch (err) {
        throw nameTaken(err, input.name ?? row.name) ?? err;
      }
    }),

  /** Runs the connector's test() and records the outcome; returns the exact failure message. */
  test: roleProcedure('operator')
    .input(ZConnectionIdInput)
    .mutation(async ({ ctx, input }) => {
      const row = await findOwn(ctx.db, ctx.membership.workspaceId, input.id);
      let ok = false;
      let text: string;
      try {
        const { connector, ctx: cctx } = buildContext(ctx.db, row, { signal: AbortSignal.timeout(TEST_TIMEOUT_MS) });
        const result = await Promise.race([
          connector.test(cctx),
          new Promise<never>((_, reject) =>
            setTimeout(() => reject(new Error(`no answer within ${TEST_TIMEOUT_MS / 1000} s — fix: check the host and network`)), TEST_TIMEOUT_MS).unref(),
          ),
        ]);
        ok = result.ok;
        text = result.ok ? (result.message ?? 'connected') : result.message;
      } catch (err) {
        text = message(err);
      }
      const testedAt = new Date();
      await ctx.db.connection.update({ where: { id: row.id }, data: { lastTestedAt: testedAt, lastTestOk: ok, lastTestMessage: text } });
      return { ok, message: text, testedAt };
    }),

  delete: roleProcedure('editor')
    .input(ZConnectionIdInput)
    .mutation(async ({ ctx, input }) => {
      const row = await findOwn(ctx.db, ctx.membership.workspaceId, input.id);
      const uses = (await connectionUsage(ctx.db, ctx.membership.workspaceId)).get(row.id) ?? [];
      if (uses.length > 0) {
        throw new TRPCError({
          code: 'PRECONDITION_FAILED',
          message: `Connection "${row.name}" is used by ${uses.length} pipeline${uses.length === 1 ? '' : 's'}: ${describeUsage(uses)} — fix: point those pipelines at another connection (or delete them), then delete this one.`,
        });
      }
      await ctx.db.connection.delete({ where: { id: row.id } });
      return { ok: true as const };
    }),

  /** Live schema of the connection: a source's tables and columns, a destination's objects and fields. */
  discover: roleProcedure('editor')
    .input(ZConnectionIdInput)
    .query(async ({ ctx, input }) => {
      const row = await findOwn(ctx.db, ctx.membership.workspaceId, input.id);
      let parsed;
      try {
        parsed = buildContext(ctx.db, row, { signal: AbortSignal.timeout(TEST_TIMEOUT_MS) });
      } catch (err) {
        throw new TRPCError({ code: 'PRECONDITION_FAILED', message: message(err) });
      }
      const { connector, ctx: cctx } = parsed;
      try {
        if (connector.kind === 'source') {
          const catalog = await connector.discover(cctx);
          return { kind: 'source' as const, tables: catalog.tables, objects: [] };
        }
        const result = await connector.discover(cctx);
        return { kind: 'destination' as const, tables: [], objects: result.objects };
      } catch (err) {
        throw new TRPCError({
          code: isConnectorError(err) && (err.code === 'auth' || err.code === 'permission') ? 'PRECONDITION_FAILED' : 'BAD_REQUEST',
          message: isConnectorError(err) ? err.message : `${row.name}: ${message(err)}`,
        });
      }
    }),
});

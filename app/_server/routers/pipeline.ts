/**
 * Pipelines: drafts, validation, versions, previews, export/import and dbt.
 * Every query is scoped to the caller's workspace; viewers and operators only
 * read (and preview saved drafts); editors change pipelines. Publish and
 * validate return every issue as data, addressed to nodes, so the canvas can
 * mark them; everything else fails with a TRPCError.
 */
import { TRPCError } from '@trpc/server';
import { isConnectorError } from '../../../connectors/sdk/types';
import { parsePipelineDocument, toDocument } from '../../../workflows/graph/document';
import { hasErrors } from '../../../workflows/graph/issues';
import { emptyGraph, ZGraph, type TGraph } from '../../../workflows/graph/schema';
import { validateGraph } from '../../../workflows/graph/validate';
import { ConnectionConfigError, loadConnection } from '../connections/runtime';
import type { Db } from '../db';
import { env } from '../env';
import { oneLine } from '../errors';
import { DbtManifestError, exposuresYaml, parseDbtManifest, publishedPipelines } from '../pipelines/dbt';
import { buildPipelineEnv } from '../pipelines/env';
import { describeSource } from '../pipelines/introspect';
import { jsonObject } from '../pipelines/json';
import { previewNode } from '../pipelines/preview';
import { publishPipeline } from '../pipelines/publish';
import { forgetSyncState } from '../pipelines/sync-state';
import { roleAtLeast } from '../roles';
import { createTRPCRouter, roleProcedure, type Membership } from '../trpc';
import {
  ZCreatePipelineInput,
  ZDbtExposuresInput,
  ZDbtModelsInput,
  ZDestinationFieldsInput,
  ZDuplicatePipelineInput,
  ZExportInput,
  ZImportInput,
  ZIntrospectInput,
  ZPipelineIdInput,
  ZPreviewInput,
  ZPublishInput,
  ZRenamePipelineInput,
  ZSaveDraftInput,
  ZValidateInput,
  ZVersionInput,
} from './pipeline.schema';

type Ctx = { db: Db; membership: Membership };

const ACTIVE_RUN = ['queued', 'running', 'paused', 'needs_confirmation'] as const;

async function pipelineOr404(ctx: Ctx, id: string) {
  const p = await ctx.db.pipeline.findFirst({ where: { id, workspaceId: ctx.membership.workspaceId } });
  if (!p) throw new TRPCError({ code: 'NOT_FOUND', message: `No pipeline ${id} in this workspace.` });
  return p;
}

/** The graph envelope must be valid to be stored; node configs may still be incomplete. */
function parseGraphOrThrow(raw: unknown, what: string): TGraph {
  const parsed = ZGraph.safeParse(raw);
  if (parsed.success) return parsed.data;
  const first = parsed.error.issues[0];
  throw new TRPCError({
    code: 'BAD_REQUEST',
    message: `${what}: the graph is not in the Backflow format (${first?.path.map(String).join('.') || 'graph'}: ${first?.message}) — fix: send { format: 'backflow.graph', version: 1, nodes, edges }`,
    cause: parsed.error,
  });
}

async function assertNameFree(ctx: Ctx, name: string, exceptId?: string): Promise<void> {
  const taken = await ctx.db.pipeline.findFirst({ where: { workspaceId: ctx.membership.workspaceId, name, ...(exceptId ? { NOT: { id: exceptId } } : {}) }, select: { id: true } });
  if (taken) throw new TRPCError({ code: 'CONFLICT', message: `A pipeline named "${name}" already exists in this workspace — fix: choose another name.` });
}

async function freeName(ctx: Ctx, base: string): Promise<string> {
  for (let i = 1; i < 1000; i++) {
    const name = i === 1 ? base : `${base} ${i}`;
    const taken = await ctx.db.pipeline.findFirst({ where: { workspaceId: ctx.membership.workspaceId, name }, select: { id: true } });
    if (!taken) return name;
  }
  throw new TRPCError({ code: 'CONFLICT', message: `Too many pipelines named "${base}" — fix: choose another name.` });
}

function requireEditorFor(ctx: Ctx, what: string): void {
  if (!roleAtLeast(ctx.membership.role, 'editor')) {
    throw new TRPCError({ code: 'FORBIDDEN', message: `${what} needs the editor role; you are a ${ctx.membership.role}. Ask a workspace admin.` });
  }
}

export const pipelineRouter = createTRPCRouter({
  list: roleProcedure('viewer').query(async ({ ctx }) => {
    const rows = await ctx.db.pipeline.findMany({
      where: { workspaceId: ctx.membership.workspaceId },
      orderBy: { name: 'asc' },
      include: { versions: { orderBy: { number: 'desc' }, take: 1, select: { number: true, createdAt: true, planHash: true } } },
    });
    return rows.map((p) => ({
      id: p.id,
      name: p.name,
      description: p.description,
      draftRevision: p.draftRevision,
      draftSavedAt: p.draftSavedAt,
      updatedAt: p.updatedAt,
      schedule: p.schedule,
      scheduleActive: p.scheduleActive,
      latestVersion: p.versions[0] ?? null,
    }));
  }),

  get: roleProcedure('viewer')
    .input(ZPipelineIdInput)
    .query(async ({ ctx, input }) => {
      const p = await pipelineOr404(ctx, input.id);
      const [latest, resets] = await Promise.all([
        ctx.db.pipelineVersion.findFirst({ where: { pipelineId: p.id }, orderBy: { number: 'desc' }, select: { id: true, number: true, planHash: true, createdAt: true, note: true } }),
        ctx.db.syncTarget.findMany({ where: { pipelineId: p.id, needsReset: true }, select: { nodeId: true, resetReason: true } }),
      ]);
      return {
        id: p.id,
        name: p.name,
        description: p.description,
        draft: p.draft,
        draftRevision: p.draftRevision,
        draftSavedAt: p.draftSavedAt,
        schedule: p.schedule,
        scheduleActive: p.scheduleActive,
        createdAt: p.createdAt,
        updatedAt: p.updatedAt,
        latestVersion: latest,
        needsReset: resets,
      };
    }),

  create: roleProcedure('editor')
    .input(ZCreatePipelineInput)
    .mutation(async ({ ctx, input }) => {
      const graph = input.graph === undefined ? emptyGraph() : parseGraphOrThrow(input.graph, 'create');
      await assertNameFree(ctx, input.name);
      const p = await ctx.db.pipeline.create({
        data: { workspaceId: ctx.membership.workspaceId, name: input.name, description: input.description ?? null, draft: jsonObject(graph), createdById: ctx.user.id },
      });
      return { id: p.id, name: p.name, draftRevision: p.draftRevision };
    }),

  rename: roleProcedure('editor')
    .input(ZRenamePipelineInput)
    .mutation(async ({ ctx, input }) => {
      const p = await pipelineOr404(ctx, input.id);
      await assertNameFree(ctx, input.name, p.id);
      const updated = await ctx.db.pipeline.update({
        where: { id: p.id },
        data: { name: input.name, ...(input.description !== undefined ? { description: input.description } : {}) },
      });
      return { id: updated.id, name: updated.name, description: updated.description };
    }),

  /** A new pipeline with a copy of the draft (versions and sync state are not copied). */
  duplicate: roleProcedure('editor')
    .input(ZDuplicatePipelineInput)
    .mutation(async ({ ctx, input }) => {
      const p = await pipelineOr404(ctx, input.id);
      const name = input.name ?? (await freeName(ctx, `${p.name} (copy)`));
      if (input.name) await assertNameFree(ctx, name);
      const graph = ZGraph.safeParse(p.draft);
      const copy = await ctx.db.pipeline.create({
        data: { workspaceId: p.workspaceId, name, description: p.description, draft: jsonObject(graph.success ? graph.data : emptyGraph()), createdById: ctx.user.id },
      });
      return { id: copy.id, name: copy.name };
    }),

  delete: roleProcedure('editor')
    .input(ZPipelineIdInput)
    .mutation(async ({ ctx, input }) => {
      const p = await pipelineOr404(ctx, input.id);
      const active = await ctx.db.run.findFirst({ where: { pipelineId: p.id, status: { in: [...ACTIVE_RUN] } }, select: { id: true } });
      if (active) throw new TRPCError({ code: 'CONFLICT', message: `"${p.name}" has a run in progress (${active.id}) — fix: cancel it or wait for it to finish, then delete.` });
      await ctx.db.$transaction(async (tx) => {
        // What the engine committed holds the last payloads sent (personal data): it goes too.
        const targets = await tx.syncTarget.findMany({ where: { pipelineId: p.id }, select: { id: true } });
        await forgetSyncState(tx, targets.map((t) => t.id));
        await tx.pipeline.delete({ where: { id: p.id } });
      });
      return { ok: true as const };
    }),

  /** Autosave. The graph's format is checked; its content is checked by validate/publish. */
  saveDraft: roleProcedure('editor')
    .input(ZSaveDraftInput)
    .mutation(async ({ ctx, input }) => {
      const p = await pipelineOr404(ctx, input.id);
      const graph = parseGraphOrThrow(input.graph, 'the draft was not saved');
      const saved = await ctx.db.pipeline.updateMany({
        where: { id: p.id, draftRevision: input.baseRevision },
        data: { draft: jsonObject(graph), draftRevision: { increment: 1 }, draftSavedAt: new Date() },
      });
      if (saved.count === 0) {
        const now = await ctx.db.pipeline.findUnique({ where: { id: p.id }, select: { draftRevision: true } });
        throw new TRPCError({
          code: 'CONFLICT',
          message: `The draft changed elsewhere (now revision ${now?.draftRevision}, your edit started from ${input.baseRevision}) — fix: reload the pipeline and apply your change again.`,
        });
      }
      return { draftRevision: input.baseRevision + 1 };
    }),

  /** Every issue of the draft (or of a graph being edited), with each node's columns, checked against the warehouse. */
  validate: roleProcedure('viewer')
    .input(ZValidateInput)
    .query(async ({ ctx, input }) => {
      const p = await pipelineOr404(ctx, input.id);
      if (input.graph !== undefined) requireEditorFor(ctx, 'Validating an unsaved graph');
      const raw = input.graph ?? p.draft;
      const parsed = ZGraph.safeParse(raw);
      const e = await buildPipelineEnv(ctx.db, ctx.membership.workspaceId, parsed.success ? parsed.data : null, { introspect: true });
      const v = validateGraph(raw, e);
      return { ok: !hasErrors(v.issues), issues: v.issues, columns: v.columns };
    }),

  /** Validates, compiles and stores a new immutable version; refuses with every issue when invalid. */
  publish: roleProcedure('editor')
    .input(ZPublishInput)
    .mutation(async ({ ctx, input }) => {
      const result = await publishPipeline(ctx.db, {
        workspaceId: ctx.membership.workspaceId,
        pipelineId: input.id,
        userId: ctx.user.id,
        ...(input.note ? { note: input.note } : {}),
      });
      if (!result) throw new TRPCError({ code: 'NOT_FOUND', message: `No pipeline ${input.id} in this workspace.` });
      return result;
    }),

  versions: roleProcedure('viewer')
    .input(ZPipelineIdInput)
    .query(async ({ ctx, input }) => {
      const p = await pipelineOr404(ctx, input.id);
      const versions = await ctx.db.pipelineVersion.findMany({
        where: { pipelineId: p.id },
        orderBy: { number: 'desc' },
        select: { id: true, number: true, planHash: true, note: true, createdAt: true, createdById: true },
      });
      const users = await ctx.db.user.findMany({ where: { id: { in: versions.map((v) => v.createdById).filter((x): x is string => Boolean(x)) } }, select: { id: true, email: true, name: true } });
      const byId = new Map(users.map((u) => [u.id, u]));
      return versions.map(({ createdById, ...v }) => ({ ...v, createdBy: createdById ? (byId.get(createdById) ?? null) : null }));
    }),

  /** One version with its graph and compiled plan. */
  version: roleProcedure('viewer')
    .input(ZVersionInput)
    .query(async ({ ctx, input }) => {
      const p = await pipelineOr404(ctx, input.id);
      const v = await ctx.db.pipelineVersion.findUnique({ where: { pipelineId_number: { pipelineId: p.id, number: input.number } } });
      if (!v) throw new TRPCError({ code: 'NOT_FOUND', message: `"${p.name}" has no version ${input.number}.` });
      return { id: v.id, number: v.number, note: v.note, planHash: v.planHash, createdAt: v.createdAt, graph: v.graph, plan: v.plan };
    }),

  /** Makes an old version's graph the draft (a new draft revision; versions stay as they are). */
  restore: roleProcedure('editor')
    .input(ZVersionInput)
    .mutation(async ({ ctx, input }) => {
      const p = await pipelineOr404(ctx, input.id);
      const v = await ctx.db.pipelineVersion.findUnique({ where: { pipelineId_number: { pipelineId: p.id, number: input.number } } });
      if (!v) throw new TRPCError({ code: 'NOT_FOUND', message: `"${p.name}" has no version ${input.number}.` });
      const graph = parseGraphOrThrow(v.graph, `version ${v.number}`);
      const updated = await ctx.db.pipeline.update({
        where: { id: p.id },
        data: { draft: jsonObject(graph), draftRevision: { increment: 1 }, draftSavedAt: new Date() },
      });
      return { draftRevision: updated.draftRevision, restoredFrom: v.number };
    }),

  /** A node's rows (or a destination's dry run), computed on the warehouse. */
  preview: roleProcedure('viewer')
    .input(ZPreviewInput)
    .query(async ({ ctx, input }) => {
      const p = await pipelineOr404(ctx, input.id);
      if (input.graph !== undefined) requireEditorFor(ctx, 'Previewing an unsaved graph');
      return previewNode(ctx.db, {
        workspaceId: ctx.membership.workspaceId,
        pipelineId: p.id,
        graph: input.graph ?? p.draft,
        nodeId: input.nodeId,
        limit: input.limit,
      });
    }),

  /** The pipeline as a document (config-as-code): the draft, or a published version. */
  export: roleProcedure('viewer')
    .input(ZExportInput)
    .query(async ({ ctx, input }) => {
      const p = await pipelineOr404(ctx, input.id);
      let raw: unknown = p.draft;
      if (input.version !== undefined) {
        const v = await ctx.db.pipelineVersion.findUnique({ where: { pipelineId_number: { pipelineId: p.id, number: input.version } } });
        if (!v) throw new TRPCError({ code: 'NOT_FOUND', message: `"${p.name}" has no version ${input.version}.` });
        raw = v.graph;
      }
      return toDocument({ name: p.name, description: p.description, graph: parseGraphOrThrow(raw, 'export') });
    }),

  /** Creates a pipeline from an exported document; its graph becomes the draft. */
  import: roleProcedure('editor')
    .input(ZImportInput)
    .mutation(async ({ ctx, input }) => {
      const parsed = parsePipelineDocument(input.document);
      if (!parsed.ok) {
        throw new TRPCError({ code: 'BAD_REQUEST', message: `The document cannot be imported: ${parsed.problems.slice(0, 5).join('; ')} — fix: import a file exported by Backflow.` });
      }
      const doc = parsed.document;
      const name = input.name ?? doc.name;
      await assertNameFree(ctx, name);
      const p = await ctx.db.pipeline.create({
        data: { workspaceId: ctx.membership.workspaceId, name, description: doc.description ?? null, draft: jsonObject(doc.graph), createdById: ctx.user.id },
      });
      return { id: p.id, name: p.name };
    }),

  /** The columns a query would return (for the query node's column snapshot). */
  introspect: roleProcedure('editor')
    .input(ZIntrospectInput)
    .query(async ({ ctx, input }) => {
      try {
        return { columns: await describeSource(ctx.db, ctx.membership.workspaceId, input.connectionId, input.source) };
      } catch (err) {
        throw new TRPCError({ code: 'BAD_REQUEST', message: oneLine(err) });
      }
    }),

  /** The destination object's fields (for the map node's field snapshot). */
  destinationFields: roleProcedure('editor')
    .input(ZDestinationFieldsInput)
    .query(async ({ ctx, input }) => {
      let loaded;
      try {
        loaded = await loadConnection(ctx.db, ctx.membership.workspaceId, input.connectionId, { signal: AbortSignal.timeout(60_000) });
      } catch (err) {
        if (err instanceof ConnectionConfigError) throw new TRPCError({ code: 'NOT_FOUND', message: err.message });
        throw err;
      }
      const { connector, ctx: cctx } = loaded;
      if (connector.kind !== 'destination') throw new TRPCError({ code: 'BAD_REQUEST', message: `"${cctx.connectionName}" is a source connection — fix: pick a destination.` });
      let discovered;
      try {
        discovered = await connector.discover(cctx);
      } catch (err) {
        const why = isConnectorError(err) ? `${err.code}: ${oneLine(err)}` : oneLine(err);
        throw new TRPCError({ code: 'BAD_REQUEST', message: `Could not list the fields of ${input.object} on "${cctx.connectionName}" (${why}).` });
      }
      const object = discovered.objects.find((o) => o.name === input.object);
      if (!object) {
        throw new TRPCError({ code: 'NOT_FOUND', message: `"${cctx.connectionName}" has no object "${input.object}" — fix: pick one of ${discovered.objects.map((o) => o.name).join(', ') || '(none)'}.` });
      }
      return {
        connectionId: input.connectionId,
        object: object.name,
        fields: object.fields,
        modes: object.modes ?? connector.capabilities.modes,
        setOnlyIfEmpty: connector.capabilities.setOnlyIfEmpty,
        fetchedAt: new Date().toISOString(),
      };
    }),

  /** The models of an uploaded dbt manifest.json, for the query node's model picker. */
  dbtModels: roleProcedure('editor')
    .input(ZDbtModelsInput)
    .mutation(({ input }) => {
      try {
        const m = parseDbtManifest(input.manifest);
        return { projectName: m.projectName, models: m.models };
      } catch (err) {
        if (err instanceof DbtManifestError) throw new TRPCError({ code: 'BAD_REQUEST', message: err.message });
        throw err;
      }
    }),

  /** dbt exposures YAML documenting every published pipeline of the workspace. */
  dbtExposures: roleProcedure('viewer')
    .input(ZDbtExposuresInput)
    .query(async ({ ctx, input }) => {
      let manifest;
      try {
        manifest = input.manifest ? parseDbtManifest(input.manifest) : undefined;
      } catch (err) {
        if (err instanceof DbtManifestError) throw new TRPCError({ code: 'BAD_REQUEST', message: err.message });
        throw err;
      }
      const workspace = await ctx.db.workspace.findUniqueOrThrow({ where: { id: ctx.membership.workspaceId }, select: { name: true } });
      const pipelines = await publishedPipelines(ctx.db, ctx.membership.workspaceId);
      const yaml = exposuresYaml(pipelines, { appUrl: env().appUrl, workspaceName: workspace.name, ...(manifest ? { manifest } : {}) });
      return { yaml, pipelines: pipelines.length, fileName: 'backflow_exposures.yml' };
    }),
});


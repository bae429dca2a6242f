/**
 * dbt integration, both ways:
 * - read: the models of a project's target/manifest.json (relation,
 *   description, columns) for the query node's model picker;
 * - write: an exposures YAML that documents every published pipeline (name,
 *   owner, depends_on, url), so dbt's lineage shows which syncs a model feeds.
 *   Drop it into the dbt project (e.g. models/backflow_exposures.yml).
 */
import YAML from 'yaml';
import { z } from 'zod';
import { ZGraph } from '../../../workflows/graph/schema';
import { ZQueryConfig, type TDbtModelRef } from '../../../workflows/nodes/query/schema';
import { ZDestinationConfig } from '../../../workflows/nodes/destination/schema';
import type { Db } from '../db';

const ZManifestColumn = z.looseObject({ name: z.string(), description: z.string().nullish(), data_type: z.string().nullish() });

const ZManifestNode = z.looseObject({
  resource_type: z.string(),
  unique_id: z.string(),
  name: z.string(),
  package_name: z.string().optional(),
  database: z.string().nullish(),
  schema: z.string(),
  alias: z.string().nullish(),
  identifier: z.string().nullish(),
  source_name: z.string().optional(),
  description: z.string().nullish(),
  columns: z.record(z.string(), ZManifestColumn).default({}),
  config: z.looseObject({ materialized: z.string().optional(), enabled: z.boolean().optional() }).optional(),
});

export const ZDbtManifest = z.looseObject({
  metadata: z.looseObject({ dbt_version: z.string().optional(), project_name: z.string().optional() }).optional(),
  nodes: z.record(z.string(), z.looseObject({ resource_type: z.string() })),
  sources: z.record(z.string(), z.looseObject({ resource_type: z.string() })).default({}),
});

export class DbtManifestError extends Error {}

export type DbtManifest = { projectName: string | null; models: TDbtModelRef[]; sources: { uniqueId: string; sourceName: string; name: string; database: string | null; schema: string; identifier: string }[] };

/** Parses manifest.json text; models that build no relation (ephemeral, disabled) are left out. */
export function parseDbtManifest(text: string): DbtManifest {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new DbtManifestError(`manifest.json is not valid JSON (${err instanceof Error ? err.message : String(err)}) — fix: upload target/manifest.json from \`dbt compile\` or \`dbt build\``);
  }
  const m = ZDbtManifest.safeParse(raw);
  if (!m.success) {
    throw new DbtManifestError(`this is not a dbt manifest (${m.error.issues[0]?.path.join('.')}: ${m.error.issues[0]?.message}) — fix: upload target/manifest.json`);
  }
  const models: TDbtModelRef[] = [];
  for (const value of Object.values(m.data.nodes)) {
    if (value.resource_type !== 'model') continue;
    const n = ZManifestNode.safeParse(value);
    if (!n.success) continue;
    const node = n.data;
    if (node.config?.materialized === 'ephemeral' || node.config?.enabled === false) continue;
    models.push({
      uniqueId: node.unique_id,
      name: node.name,
      database: node.database ?? null,
      schema: node.schema,
      alias: node.alias ?? node.name,
      ...(node.description ? { description: node.description } : {}),
      columns: Object.values(node.columns).map((c) => ({ name: c.name, ...(c.description ? { description: c.description } : {}), dataType: c.data_type ?? null })),
    });
  }
  const sources: DbtManifest['sources'] = [];
  for (const value of Object.values(m.data.sources)) {
    const n = ZManifestNode.safeParse(value);
    if (!n.success || n.data.resource_type !== 'source') continue;
    sources.push({ uniqueId: n.data.unique_id, sourceName: n.data.source_name ?? '', name: n.data.name, database: n.data.database ?? null, schema: n.data.schema, identifier: n.data.identifier ?? n.data.name });
  }
  models.sort((a, b) => a.name.localeCompare(b.name));
  return { projectName: m.data.metadata?.project_name ?? null, models, sources };
}

type ExposurePipeline = {
  id: string;
  name: string;
  description: string | null;
  owner: { name: string | null; email: string } | null;
  version: { number: number; graph: unknown; createdAt: Date };
};

/**
 * The exposures YAML for the given published pipelines. depends_on lists the
 * dbt models the pipeline's query nodes read: models picked from the manifest,
 * and — when a manifest is given — tables that are a model's or a source's relation.
 */
export function exposuresYaml(pipelines: ExposurePipeline[], opts: { appUrl: string; manifest?: DbtManifest; workspaceName: string }): string {
  const used = new Set<string>();
  const exposures = pipelines.map((p) => {
    const graph = ZGraph.safeParse(p.version.graph);
    const dependsOn = new Set<string>();
    const destinations: string[] = [];
    if (graph.success) {
      for (const n of graph.data.nodes) {
        if (n.type === 'query') {
          const q = ZQueryConfig.safeParse(n.config);
          if (!q.success) continue;
          const s = q.data.source;
          if (s.kind === 'dbt') dependsOn.add(refOf(s.model.name));
          else if (s.kind === 'table' && opts.manifest) {
            const dep = matchRelation(opts.manifest, s.schema ?? null, s.table);
            if (dep) dependsOn.add(dep);
          }
        }
        if (n.type === 'destination') {
          const d = ZDestinationConfig.safeParse(n.config);
          if (d.success) destinations.push(`${n.label ?? n.id} → ${d.data.object} (${d.data.connector ?? 'destination'}, ${d.data.mode})`);
        }
      }
    }
    let name = `backflow_${snake(p.name)}`;
    if (used.has(name)) name = `${name}_${snake(p.id).slice(-6)}`;
    used.add(name);
    const lines = [p.description?.trim(), `Backflow reverse-ETL pipeline "${p.name}", published version ${p.version.number} (${p.version.createdAt.toISOString().slice(0, 10)}).`];
    if (destinations.length) lines.push(`Syncs to: ${destinations.join('; ')}.`);
    return {
      name,
      label: p.name,
      type: 'application',
      maturity: 'high',
      url: `${opts.appUrl.replace(/\/$/, '')}/pipelines/${encodeURIComponent(p.id)}`,
      description: lines.filter(Boolean).join('\n'),
      owner: p.owner ? { name: p.owner.name ?? p.owner.email, email: p.owner.email } : { name: `${opts.workspaceName} (Backflow)` },
      depends_on: [...dependsOn].sort(),
      meta: { backflow_pipeline_id: p.id, backflow_version: p.version.number },
    };
  });
  const header = '# Generated by Backflow: the syncs that read dbt models. Regenerate rather than edit.\n';
  return header + YAML.stringify({ version: 2, exposures }, { lineWidth: 0 });
}

function quoted(s: string): string {
  return `'${s.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

function refOf(model: string): string {
  return `ref(${quoted(model)})`;
}

function matchRelation(manifest: DbtManifest, schema: string | null, table: string): string | null {
  const same = (a: string | null | undefined, b: string | null | undefined) => (a ?? '').toLowerCase() === (b ?? '').toLowerCase();
  const model = manifest.models.find((m) => same(m.alias, table) && (schema === null || same(m.schema, schema)));
  if (model) return refOf(model.name);
  const source = manifest.sources.find((s) => same(s.identifier, table) && (schema === null || same(s.schema, schema)));
  return source ? `source(${quoted(source.sourceName)}, ${quoted(source.name)})` : null;
}

function snake(s: string): string {
  return s.toLowerCase().replace(/[^a-z0-9]+/g, '_').replace(/^_+|_+$/g, '') || 'pipeline';
}

/** Every published pipeline of the workspace, at its latest version. */
export async function publishedPipelines(db: Db, workspaceId: string): Promise<ExposurePipeline[]> {
  const rows = await db.pipeline.findMany({
    where: { workspaceId, versions: { some: {} } },
    include: { versions: { orderBy: { number: 'desc' }, take: 1 } },
    orderBy: { name: 'asc' },
  });
  const ownerIds = [...new Set(rows.map((r) => r.createdById).filter((x): x is string => Boolean(x)))];
  const owners = new Map((await db.user.findMany({ where: { id: { in: ownerIds } }, select: { id: true, name: true, email: true } })).map((u) => [u.id, u]));
  return rows.map((r) => {
    const v = r.versions[0]!;
    const owner = r.createdById ? owners.get(r.createdById) : undefined;
    return { id: r.id, name: r.name, description: r.description, owner: owner ? { name: owner.name, email: owner.email } : null, version: { number: v.number, graph: v.graph, createdAt: v.createdAt } };
  });
}

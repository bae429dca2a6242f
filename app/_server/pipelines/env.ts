/**
 * What validation and compiling need to know about the workspace: its
 * connections (kind and connector), each destination connector's capabilities,
 * each source's SQL dialect, and — when asked — the live columns of every
 * query node. Built per request from the database and the connector registry.
 */
import { findConnector } from '../../../connectors/registry';
import type { CompileEnv } from '../../../workflows/compile/compile';
import type { TGraph } from '../../../workflows/graph/schema';
import type { ConnectionFacts, DestinationFacts } from '../../../workflows/graph/validate';
import type { Db } from '../db';
import { introspectQueries } from './introspect';

export async function buildPipelineEnv(
  db: Db,
  workspaceId: string,
  graph: TGraph | null,
  opts: { introspect: boolean; now?: string },
): Promise<CompileEnv> {
  const rows = await db.connection.findMany({ where: { workspaceId }, select: { id: true, name: true, kind: true, connector: true } });
  const connections = new Map<string, ConnectionFacts>(rows.map((r) => [r.id, { name: r.name, kind: r.kind, connector: r.connector }]));
  const dialects = new Map<string, NonNullable<ReturnType<CompileEnv['dialectOf']>>>();
  for (const r of rows) {
    const c = findConnector(r.connector);
    // Redshift speaks PostgreSQL's protocol but not all of its functions.
    if (c?.kind === 'source') dialects.set(r.id, c.slug === 'redshift' ? 'redshift' : c.capabilities.dialect);
  }
  const sourceColumns = opts.introspect && graph ? await introspectQueries(db, workspaceId, graph) : undefined;
  return {
    connections,
    destination: destinationFacts,
    dialectOf: (id) => dialects.get(id),
    ...(sourceColumns ? { sourceColumns } : {}),
    ...(opts.now ? { now: opts.now } : {}),
  };
}

export function destinationFacts(slug: string): DestinationFacts | undefined {
  const c = findConnector(slug);
  if (c?.kind !== 'destination') return undefined;
  return { displayName: c.displayName, modes: c.capabilities.modes, setOnlyIfEmpty: c.capabilities.setOnlyIfEmpty, optionsSchema: c.optionsSchema };
}

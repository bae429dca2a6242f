/**
 * Introspection: the columns a query node's SQL returns, asked of the
 * warehouse through its source connector's describe() (a zero-row / DESCRIBE
 * query, never the full result). Failures become node-addressed issues.
 */
import { findConnector } from '../../../connectors/registry';
import type { ColumnDescriptor } from '../../../connectors/sdk/types';
import { dialectFor } from '../../../workflows/compile/dialects';
import type { TColumn } from '../../../workflows/graph/columns';
import { issue } from '../../../workflows/graph/issues';
import type { TGraph } from '../../../workflows/graph/schema';
import { readOnlyProblem } from '../../../workflows/nodes/query/read-only';
import { ZQueryConfig, type TQuerySource } from '../../../workflows/nodes/query/schema';
import { sourceSql } from '../../../workflows/nodes/query/source-sql';
import type { SourceColumnsResult } from '../../../workflows/nodes/types';
import { nodeName } from '../../../workflows/nodes/types';
import { ConnectionConfigError, loadConnection } from '../connections/runtime';
import type { Db } from '../db';
import { oneLine } from '../errors';

const DESCRIBE_TIMEOUT_MS = 30_000;

export function toColumns(cols: ColumnDescriptor[]): TColumn[] {
  return cols.map((c) => ({ name: c.name, type: c.type, nativeType: c.nativeType }));
}

/** Describes one source (SQL, table or dbt model) on a connection of the workspace. */
export async function describeSource(db: Db, workspaceId: string, connectionId: string, source: TQuerySource): Promise<TColumn[]> {
  if (source.kind === 'sql') {
    const problem = readOnlyProblem(source.sql);
    if (problem) throw new Error(problem);
  }
  const signal = AbortSignal.timeout(DESCRIBE_TIMEOUT_MS);
  const { connector, ctx } = await loadConnection(db, workspaceId, connectionId, { signal });
  if (connector.kind !== 'source') throw new Error(`connection "${ctx.connectionName}" is a destination — fix: pick a source connection`);
  const sql = sourceSql(source, dialectFor(connector.slug === 'redshift' ? 'redshift' : connector.capabilities.dialect));
  return toColumns(await connector.describe(sql, ctx));
}

/** Live columns of every query node whose config is valid; errors are tied to the node. */
export async function introspectQueries(db: Db, workspaceId: string, graph: TGraph): Promise<Map<string, SourceColumnsResult>> {
  const out = new Map<string, SourceColumnsResult>();
  const cache = new Map<string, Promise<TColumn[]>>();
  for (const node of graph.nodes) {
    if (node.type !== 'query') continue;
    const parsed = ZQueryConfig.safeParse(node.config);
    if (!parsed.success) continue;
    const { connectionId, source } = parsed.data;
    // The node reports SQL that writes itself; nothing is sent for it.
    if (source.kind === 'sql' && readOnlyProblem(source.sql)) continue;
    const conn = await db.connection.findFirst({ where: { id: connectionId, workspaceId }, select: { connector: true } });
    const connector = conn ? findConnector(conn.connector) : undefined;
    if (!conn || connector?.kind !== 'source') continue; // validation reports the connection
    const key = JSON.stringify([connectionId, source]);
    let pending = cache.get(key);
    if (!pending) {
      pending = describeSource(db, workspaceId, connectionId, source);
      cache.set(key, pending);
    }
    try {
      out.set(node.id, { columns: await pending });
    } catch (err) {
      const msg = oneLine(err);
      if (err instanceof ConnectionConfigError) {
        out.set(node.id, { error: issue('unknown_connection', `${nodeName(node)}: ${msg}`, { nodeId: node.id, path: ['connectionId'] }) });
        continue;
      }
      out.set(node.id, {
        error: issue('sql_error', `${nodeName(node)}: the warehouse rejected the query: ${msg}${msg.includes('— fix:') ? '' : ' — fix: correct the SQL (or table) and try again'}`, {
          nodeId: node.id,
          path: ['source'],
        }),
      });
    }
  }
  return out;
}

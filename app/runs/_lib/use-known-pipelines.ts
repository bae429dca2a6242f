'use client';
/**
 * The workspace's pipelines as far as the client can know them without a
 * pipeline router: every pipeline that references a connection (connection.list
 * reports each connection's users, draft or published). The run screens add
 * the pipelines they see in runs. When `pipeline.list` exists, use it here.
 */
import { useQuery } from '@tanstack/react-query';
import { useMemo } from 'react';
import { useTRPC } from '../../_components/trpc';

export type TKnownPipeline = { id: string; name: string; published: boolean };

export function useKnownPipelines() {
  const trpc = useTRPC();
  const connections = useQuery(trpc.connection.list.queryOptions());
  const pipelines = useMemo(() => {
    const map = new Map<string, TKnownPipeline>();
    for (const c of connections.data ?? []) {
      for (const u of c.usedBy) {
        const published = u.where.some((w) => w.startsWith('published'));
        map.set(u.id, { id: u.id, name: u.name, published: published || (map.get(u.id)?.published ?? false) });
      }
    }
    return [...map.values()].sort((a, b) => a.name.localeCompare(b.name));
  }, [connections.data]);
  return { pipelines, connections };
}

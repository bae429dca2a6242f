'use client';
/**
 * The workspace's pipelines for filters, counts and "run now": pipeline.list,
 * reduced to what the run screens need (a pipeline can run once it has a
 * published version).
 */
import { useQuery } from '@tanstack/react-query';
import { useMemo } from 'react';
import { useTRPC } from '../../_components/trpc';

export type TKnownPipeline = { id: string; name: string; published: boolean };

export function useKnownPipelines() {
  const trpc = useTRPC();
  const list = useQuery(trpc.pipeline.list.queryOptions());
  const pipelines = useMemo<TKnownPipeline[]>(
    () => (list.data ?? []).map((p) => ({ id: p.id, name: p.name, published: p.latestVersion !== null })),
    [list.data],
  );
  return { pipelines, query: list };
}

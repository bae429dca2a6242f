'use client';
/**
 * The runs of the last N days, for the Overview. run.list pages newest first,
 * so pages are read until one reaches past the window, up to a cap; `capped`
 * says when the cap cut the window short (the charts then say so).
 *
 * A server-side aggregate (counts per day and status) would scale better; the
 * run router has none yet, and a week of runs is a few pages for most teams.
 */
import { useQuery } from '@tanstack/react-query';
import { useTRPC, useTRPCClient } from '../trpc';
import { windowStart } from '../../runs/_lib/daily';
import { isActive } from '../../runs/_lib/status';
import type { TRunListItem } from '../../runs/_lib/types';

const PAGE = 100;
const MAX_PAGES = 10;

export function useRecentRuns(days: number) {
  const trpc = useTRPC();
  const client = useTRPCClient();
  return useQuery({
    // Under the run router's key, so run mutations (which invalidate it) refresh the Overview too.
    queryKey: [...trpc.run.pathKey(), 'overview', days],
    queryFn: async () => {
      const since = windowStart(new Date(), days).getTime();
      const runs: TRunListItem[] = [];
      let cursor: string | undefined;
      for (let page = 0; page < MAX_PAGES; page++) {
        const res = await client.run.list.query({ limit: PAGE, ...(cursor ? { cursor } : {}) });
        runs.push(...res.runs);
        const last = res.runs[res.runs.length - 1];
        if (!res.nextCursor || !last || new Date(last.createdAt).getTime() < since) {
          return { runs, capped: false };
        }
        cursor = res.nextCursor;
      }
      return { runs, capped: true };
    },
    refetchInterval: (query) => (query.state.data?.runs.some((r) => isActive(r.status)) ? 5000 : 60_000),
  });
}

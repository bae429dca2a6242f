/** Small helpers the connection screens share: the caller's role, output types, times. */
import { useQuery } from '@tanstack/react-query';
import type { inferRouterOutputs } from '@trpc/server';
import { useTRPC } from '../../_components/trpc';
import { roleAtLeast, type TRole } from '../../_server/roles';
import type { AppRouter } from '../../_server/root';

type Outputs = inferRouterOutputs<AppRouter>;
export type ConnectionView = Outputs['connection']['get'];
export type ConnectorInfo = Outputs['connection']['connectors'][number];
export type FormSpec = ConnectorInfo['forms']['config'];
export type FormField = FormSpec['fields'][number];
export type DiscoverOutput = Outputs['connection']['discover'];

/** The caller's role in the current workspace; `can(min)` is false until it is known. */
export function useRole() {
  const trpc = useTRPC();
  const me = useQuery(trpc.workspace.me.queryOptions());
  const role = me.data?.current?.role ?? null;
  return { role, can: (min: TRole) => role !== null && roleAtLeast(role, min) };
}

export function timeAgo(date: Date | string | null | undefined, now = Date.now()): string {
  if (!date) return 'never';
  const ms = now - new Date(date).getTime();
  const s = Math.round(ms / 1000);
  if (s < 45) return 'just now';
  const m = Math.round(s / 60);
  if (m < 60) return `${m} min ago`;
  const h = Math.round(m / 60);
  if (h < 24) return `${h} h ago`;
  const d = Math.round(h / 24);
  return d < 30 ? `${d} d ago` : new Date(date).toLocaleDateString();
}

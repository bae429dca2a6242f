'use client';
/** The caller's role in the current workspace, for showing only the actions the server would allow. */
import { useQuery } from '@tanstack/react-query';
import { roleAtLeast, type TRole } from '../_server/roles';
import { useTRPC } from './trpc';

/** `can(min)` is false until the role is known, so privileged buttons never flash in. */
export function useWorkspaceRole() {
  const trpc = useTRPC();
  const me = useQuery(trpc.workspace.me.queryOptions());
  const role = me.data?.current?.role ?? null;
  return { role, can: (min: TRole) => role !== null && roleAtLeast(role, min) };
}

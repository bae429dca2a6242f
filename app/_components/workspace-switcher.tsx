'use client';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useTRPC, WORKSPACE_STORAGE_KEY } from './trpc';

/** Shows the current workspace and role; switches when the user belongs to several. */
export function WorkspaceSwitcher() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const me = useQuery(trpc.workspace.me.queryOptions());
  if (me.isLoading) return <div className="workspace muted">Loading…</div>;
  if (me.error) return <div className="workspace error-text">{me.error.message}</div>;
  const data = me.data;
  if (!data?.current) return <div className="workspace muted">No workspace</div>;
  return (
    <div className="workspace">
      {data.workspaces.length > 1 ? (
        <select
          aria-label="Workspace"
          value={data.current.id}
          onChange={(ev) => {
            window.localStorage.setItem(WORKSPACE_STORAGE_KEY, ev.target.value);
            void queryClient.invalidateQueries();
          }}
        >
          {data.workspaces.map((w) => (
            <option key={w.id} value={w.id}>
              {w.name}
            </option>
          ))}
        </select>
      ) : (
        <div className="workspace-name">{data.current.name}</div>
      )}
      <span className={`role-badge role-${data.current.role}`}>{data.current.role}</span>
    </div>
  );
}

'use client';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import { ROLE_DESCRIPTIONS, ROLES, type TRole } from '../../_server/roles';
import { useTRPC } from '../../_components/trpc';

export function MembersPanel() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const me = useQuery(trpc.workspace.me.queryOptions());
  const members = useQuery(trpc.workspace.members.queryOptions());
  const invalidate = () => queryClient.invalidateQueries({ queryKey: trpc.workspace.members.queryKey() });
  const [created, setCreated] = useState<{ email: string; password: string } | null>(null);
  const add = useMutation(
    trpc.workspace.addMember.mutationOptions({
      onSuccess: (res, vars) => {
        if (res.temporaryPassword) setCreated({ email: vars.email, password: res.temporaryPassword });
        void invalidate();
      },
    }),
  );
  const setRole = useMutation(trpc.workspace.setRole.mutationOptions({ onSuccess: () => void invalidate() }));
  const remove = useMutation(trpc.workspace.removeMember.mutationOptions({ onSuccess: () => void invalidate() }));
  const isAdmin = me.data?.current?.role === 'admin';
  const error = add.error ?? setRole.error ?? remove.error;

  function onAdd(ev: FormEvent<HTMLFormElement>) {
    ev.preventDefault();
    const f = new FormData(ev.currentTarget);
    add.mutate({ email: String(f.get('email')), role: String(f.get('role')) as TRole });
    ev.currentTarget.reset();
  }

  if (members.isLoading) return <p className="muted">Loading members…</p>;
  if (members.error) return <p className="error-text">{members.error.message}</p>;

  return (
    <>
      {error ? (
        <p role="alert" className="error-text">
          {error.message}
        </p>
      ) : null}
      {created ? (
        <div className="card notice" role="status">
          Created <strong>{created.email}</strong> with the one-time password <code>{created.password}</code>. Share it
          securely; it is not shown again.
        </div>
      ) : null}
      <table className="table">
        <thead>
          <tr>
            <th>Member</th>
            <th>Role</th>
            <th aria-label="Actions" />
          </tr>
        </thead>
        <tbody>
          {members.data?.map((m) => (
            <tr key={m.user.id}>
              <td>
                <div>{m.user.name ?? m.user.email}</div>
                <div className="muted small">{m.user.email}</div>
              </td>
              <td>
                {isAdmin ? (
                  <select
                    aria-label={`Role of ${m.user.email}`}
                    value={m.role}
                    onChange={(ev) => setRole.mutate({ userId: m.user.id, role: ev.target.value as TRole })}
                  >
                    {ROLES.map((r) => (
                      <option key={r} value={r}>
                        {r}
                      </option>
                    ))}
                  </select>
                ) : (
                  <span className={`role-badge role-${m.role}`}>{m.role}</span>
                )}
              </td>
              <td className="right">
                {isAdmin && m.user.id !== me.data?.user.id ? (
                  <button type="button" className="btn ghost small danger" onClick={() => remove.mutate({ userId: m.user.id })}>
                    Remove
                  </button>
                ) : null}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {isAdmin ? (
        <form className="card form inline" onSubmit={onAdd} aria-label="Add member">
          <h2>Add a member</h2>
          <label>
            Email
            <input name="email" type="email" required />
          </label>
          <label>
            Role
            <select name="role" defaultValue="viewer">
              {ROLES.map((r) => (
                <option key={r} value={r}>
                  {r} — {ROLE_DESCRIPTIONS[r]}
                </option>
              ))}
            </select>
          </label>
          <button type="submit" className="btn primary" disabled={add.isPending}>
            Add member
          </button>
        </form>
      ) : (
        <p className="muted">Only admins can add members or change roles.</p>
      )}
    </>
  );
}

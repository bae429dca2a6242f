'use client';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useRouter } from 'next/navigation';
import { useState } from 'react';
import { useTRPC } from '../../_components/trpc';

/** Delete with an inline confirmation; a refusal (pipelines still use it) is shown as the server words it. */
export function DeleteButton({ id, name }: { id: string; name: string }) {
  const trpc = useTRPC();
  const router = useRouter();
  const queryClient = useQueryClient();
  const [confirming, setConfirming] = useState(false);
  const del = useMutation(
    trpc.connection.delete.mutationOptions({
      onSuccess: async () => {
        await queryClient.invalidateQueries({ queryKey: trpc.connection.list.queryKey() });
        router.push('/connections');
      },
    }),
  );
  return (
    <div className="conn-delete">
      {confirming ? (
        <div className="conn-confirm" role="alertdialog" aria-label={`Delete ${name}`}>
          <span>
            Delete <strong>{name}</strong>? Its stored credentials are erased. This cannot be undone.
          </span>
          <button type="button" className="btn danger-solid small" disabled={del.isPending} onClick={() => del.mutate({ id })}>
            {del.isPending ? 'Deleting…' : 'Delete'}
          </button>
          <button type="button" className="btn ghost small" onClick={() => setConfirming(false)}>
            Cancel
          </button>
        </div>
      ) : (
        <button type="button" className="btn ghost danger" onClick={() => setConfirming(true)}>
          Delete connection
        </button>
      )}
      {del.error ? (
        <p className="error-text" role="alert">
          {del.error.message}
        </p>
      ) : null}
    </div>
  );
}

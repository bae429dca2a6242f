'use client';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useEffect, useRef } from 'react';
import { useTRPC } from '../../_components/trpc';

/** Runs the connector's test() and shows the exact failure, or what succeeded. */
/** `autoRun`: test once on mount (right after the connection was created). */
export function TestButton({ id, disabled = false, autoRun = false }: { id: string; disabled?: boolean; autoRun?: boolean }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const test = useMutation(
    trpc.connection.test.mutationOptions({
      onSettled: async () => {
        await queryClient.invalidateQueries({ queryKey: trpc.connection.get.queryKey({ id }) });
        await queryClient.invalidateQueries({ queryKey: trpc.connection.list.queryKey() });
      },
    }),
  );
  const ran = useRef(false);
  useEffect(() => {
    if (autoRun && !ran.current) {
      ran.current = true;
      test.mutate({ id });
    }
  }, [autoRun, id, test]);
  return (
    <div className="conn-test">
      <button type="button" className="btn" disabled={disabled || test.isPending} onClick={() => test.mutate({ id })}>
        {test.isPending ? (
          <>
            <span className="spinner" aria-hidden /> Testing…
          </>
        ) : (
          'Test connection'
        )}
      </button>
      {test.data ? (
        <div className={`conn-test-result ${test.data.ok ? 'ok' : 'bad'}`} role="status">
          <strong>{test.data.ok ? 'Connection works.' : 'Connection failed.'}</strong> <span className="mono-text">{test.data.message}</span>
        </div>
      ) : null}
      {test.error ? (
        <div className="conn-test-result bad" role="alert">
          {test.error.message}
        </div>
      ) : null}
    </div>
  );
}

'use client';
import { timeAgo } from './shared';

/** Last "Test connection" outcome: ok / failed / never, with when. */
export function TestStatus({ ok, at, message }: { ok: boolean | null; at: Date | string | null; message?: string | null }) {
  const state = ok === null || !at ? 'never' : ok ? 'ok' : 'bad';
  const label = state === 'never' ? 'Not tested' : state === 'ok' ? 'Connected' : 'Failing';
  return (
    <span className={`conn-status conn-status-${state}`} title={message ?? undefined}>
      <span className="dot" aria-hidden />
      {label}
      {state !== 'never' ? <span className="muted small"> · {timeAgo(at)}</span> : null}
    </span>
  );
}

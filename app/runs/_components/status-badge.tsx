import { statusMeta } from '../_lib/status';

/** A run or destination status: glyph + text + colour, so it reads without colour too. */
export function StatusBadge({ status, size = 'normal' }: { status: string; size?: 'normal' | 'large' }) {
  const meta = statusMeta(status);
  return (
    <span className={`run-badge tone-${meta.tone}${size === 'large' ? ' large' : ''}`} title={meta.hint} data-status={status}>
      <span aria-hidden className={status === 'running' ? 'run-badge-glyph pulsing' : 'run-badge-glyph'}>
        {meta.glyph}
      </span>
      {meta.label}
    </span>
  );
}

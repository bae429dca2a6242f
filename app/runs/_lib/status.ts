/**
 * Run statuses as the screens present them: a label and a glyph for every
 * status (so status never depends on colour alone), a tone for the colour, and
 * which statuses count as active (the screens poll only while one is).
 */
import type { z } from 'zod';
import { ZListRunsInput } from '../../_server/routers/run.schema';

/** The router's own status enum, so a new status shows up here as a type error. */
export const ZRunStatus = ZListRunsInput.shape.status.unwrap();
export type TRunStatus = z.infer<typeof ZRunStatus>;
export const RUN_STATUSES = ZRunStatus.options;

/** Mirrors the router's ACTIVE list: a run in one of these may still change. */
export const ACTIVE_STATUSES: readonly TRunStatus[] = ['queued', 'running', 'paused', 'needs_confirmation'];

export function isActive(status: string): boolean {
  return (ACTIVE_STATUSES as readonly string[]).includes(status);
}

export type TTone = 'info' | 'ok' | 'warn' | 'bad' | 'muted' | 'attention';

export const STATUS_META: Record<TRunStatus, { label: string; glyph: string; tone: TTone; hint: string }> = {
  queued: { label: 'Queued', glyph: '◷', tone: 'muted', hint: 'Waiting for a worker to pick the run up.' },
  running: { label: 'Running', glyph: '▶', tone: 'info', hint: 'Rows are being extracted, compared or delivered.' },
  paused: { label: 'Paused', glyph: '❚❚', tone: 'warn', hint: 'Delivery is paused; resume to continue where it stopped.' },
  needs_confirmation: {
    label: 'Needs confirmation',
    glyph: '⚠',
    tone: 'attention',
    hint: 'Mirror deletions are held until someone confirms or skips them.',
  },
  succeeded: { label: 'Succeeded', glyph: '✓', tone: 'ok', hint: 'Every row reached the destination.' },
  partial: { label: 'Partial', glyph: '◐', tone: 'warn', hint: 'Some rows were rejected, exhausted their retries or were skipped.' },
  failed: { label: 'Failed', glyph: '✕', tone: 'bad', hint: 'The run stopped with an error.' },
  cancelled: { label: 'Cancelled', glyph: '⊘', tone: 'muted', hint: 'Someone cancelled the run; undelivered rows were skipped.' },
};

/** Unknown strings (a newer server) still render, as a neutral badge with the raw text. */
export function statusMeta(status: string): { label: string; glyph: string; tone: TTone; hint: string } {
  const parsed = ZRunStatus.safeParse(status);
  return parsed.success ? STATUS_META[parsed.data] : { label: status, glyph: '•', tone: 'muted', hint: '' };
}

export const TRIGGER_LABELS: Record<string, string> = {
  manual: 'Manual',
  schedule: 'Schedule',
  api: 'API',
  retry: 'Retry of failed rows',
};

export function triggerLabel(trigger: string): string {
  return TRIGGER_LABELS[trigger] ?? trigger;
}

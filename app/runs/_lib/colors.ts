/**
 * Chart colours (recharts needs values, not CSS classes). They match the
 * outcome-* and tone-* classes in globals.css; labels always accompany them.
 */
import type { COUNT_KEYS } from './counts';
import type { TRunStatus } from './status';

export const COUNT_COLORS: Record<(typeof COUNT_KEYS)[number], string> = {
  queried: '#5b6b8c',
  invalid: '#c2410c',
  unchanged: '#a0a8b5',
  added: '#2f9e6a',
  changed: '#3a5bd9',
  removed: '#8b5cf6',
  accepted: '#1f9d55',
  rejected: '#d03a3a',
  exhausted: '#b45309',
  skipped: '#9aa3b2',
};

export const STATUS_COLORS: Record<TRunStatus, string> = {
  queued: '#a0a8b5',
  running: '#3a5bd9',
  paused: '#c98a00',
  needs_confirmation: '#c2410c',
  succeeded: '#1f9d55',
  partial: '#e0a100',
  failed: '#d03a3a',
  cancelled: '#6a737d',
};

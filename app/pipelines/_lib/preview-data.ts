/** Shaping preview results for display: cell text and the dry run's bar chart. */
export type DryRunCounts = { added: number | null; changed: number | null; unchanged: number | null; removed: number | null; nullKeys: number; duplicateKeys: number };

export const DIFF_COLORS = { added: '#1f9d55', changed: '#3a5bd9', removed: '#d03a3a', unchanged: '#9aa3b2', skipped: '#c98a00' } as const;

/** Bars for adds / changes / removals / unchanged, plus rows never sent (no key or a repeated key). */
export function dryRunBars(c: DryRunCounts): { key: keyof typeof DIFF_COLORS; label: string; value: number }[] {
  const bars: { key: keyof typeof DIFF_COLORS; label: string; value: number }[] = [];
  if (c.added !== null) bars.push({ key: 'added', label: 'Adds', value: c.added });
  if (c.changed !== null) bars.push({ key: 'changed', label: 'Changes', value: c.changed });
  if (c.removed !== null) bars.push({ key: 'removed', label: 'Removals', value: c.removed });
  if (c.unchanged !== null) bars.push({ key: 'unchanged', label: 'Unchanged', value: c.unchanged });
  const skipped = c.nullKeys + c.duplicateKeys;
  if (skipped > 0) bars.push({ key: 'skipped', label: 'Not sent (bad key)', value: skipped });
  return bars;
}

/** A cell as text: null shown as NULL, objects as compact JSON, long text clipped. */
export function cellText(v: unknown, max = 120): string {
  if (v === null || v === undefined) return 'NULL';
  const s = typeof v === 'string' ? v : typeof v === 'object' ? JSON.stringify(v) : String(v);
  return s.length > max ? `${s.slice(0, max - 1)}…` : s;
}

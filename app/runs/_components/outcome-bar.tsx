import { outcomeSegments, outcomeSummary, type TOutcomeKey } from '../_lib/counts';

/**
 * The thin stacked bar of a run's delivery outcomes. The segments are
 * decoration; the same numbers are in its accessible name and title.
 */
export function OutcomeBar({ counts, width = 120, emptyLabel }: { counts: Record<TOutcomeKey, number>; width?: number; emptyLabel?: string }) {
  const segments = outcomeSegments(counts);
  const summary = outcomeSummary(counts);
  if (segments.length === 0 && emptyLabel) return <span className="muted small">{emptyLabel}</span>;
  return (
    <span className="outcome-bar" style={{ width }} role="img" aria-label={`Delivery outcome: ${summary}`} title={summary}>
      {segments.length === 0 ? <span className="outcome-empty" /> : null}
      {segments.map((s) => (
        <span key={s.key} className={`outcome-seg outcome-${s.key}`} style={{ width: `${s.percent}%` }} />
      ))}
    </span>
  );
}

/** Legend for outcome bars and charts: a swatch and the name of each outcome. */
export function OutcomeLegend() {
  const keys: { key: TOutcomeKey; label: string }[] = [
    { key: 'accepted', label: 'Accepted' },
    { key: 'rejected', label: 'Rejected' },
    { key: 'exhausted', label: 'Retries exhausted' },
    { key: 'skipped', label: 'Skipped' },
  ];
  return (
    <ul className="outcome-legend" aria-label="Outcome colours">
      {keys.map((k) => (
        <li key={k.key}>
          <span className={`outcome-swatch outcome-${k.key}`} aria-hidden />
          {k.label}
        </li>
      ))}
    </ul>
  );
}

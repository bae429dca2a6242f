import type { Check } from '../_server/health';

export function HealthList({ checks }: { checks: Check[] }) {
  return (
    <ul className="health-list">
      {checks.map((c) => (
        <li key={c.name} className={c.ok ? 'ok' : 'bad'} data-check={c.name} data-ok={c.ok}>
          <span className="dot" aria-hidden />
          <div>
            <div className="health-label">
              {c.label} <span className="health-state">{c.ok ? 'healthy' : 'problem'}</span>
            </div>
            <div className="health-detail">{c.detail}</div>
            {!c.ok && c.fix ? <div className="health-fix">Fix: {c.fix}</div> : null}
          </div>
        </li>
      ))}
    </ul>
  );
}

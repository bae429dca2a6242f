import Link from 'next/link';
import { HealthList } from '../_components/health-list';
import { env } from '../_server/env';
import { runChecks } from '../_server/health';

export const dynamic = 'force-dynamic';

/** Public status page: the same checks as `npm run doctor`. Shows states and fixes, never secrets. */
export default async function StatusPage() {
  const e = env();
  const checks = await runChecks(e);
  const healthy = checks.every((c) => c.ok);
  const temporalUi = e.usesLocalTemporal ? e.temporalUiUrl : e.TEMPORAL_UI_URL;
  return (
    <div className="page narrow">
      <header className="page-head">
        <h1>System status</h1>
        <span className={`pill ${healthy ? 'ok' : 'bad'}`}>{healthy ? 'All healthy' : 'Needs attention'}</span>
      </header>
      <HealthList checks={checks} />
      <p className="muted">
        Same checks as <code>npm run doctor</code>. {temporalUi ? <a href={temporalUi}>Open the Temporal UI ↗</a> : null}{' '}
        <Link href="/">Back to the app</Link>
      </p>
    </div>
  );
}

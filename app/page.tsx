import { OverviewDashboard } from './_components/overview/overview-dashboard';
import { AppShell } from './_components/app-shell';
import { HealthList } from './_components/health-list';
import { env } from './_server/env';
import { runChecks } from './_server/health';

export const dynamic = 'force-dynamic';

/**
 * Overview: a server component. The health checks run here on the server; the
 * workspace's numbers are client widgets, because the selected workspace lives
 * in the browser (it travels as a header on every tRPC call).
 */
export default async function HomePage() {
  const checks = await runChecks(env());
  return (
    <AppShell>
      <div className="page">
        <header className="page-head">
          <h1>Overview</h1>
        </header>
        <OverviewDashboard />
        <section className="card">
          <h2>System</h2>
          <HealthList checks={checks} />
        </section>
      </div>
    </AppShell>
  );
}

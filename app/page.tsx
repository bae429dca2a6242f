import Link from 'next/link';
import { AppShell } from './_components/app-shell';
import { HealthList } from './_components/health-list';
import { env } from './_server/env';
import { runChecks } from './_server/health';

export const dynamic = 'force-dynamic';

export default async function HomePage() {
  const checks = await runChecks(env());
  return (
    <AppShell>
      <div className="page">
        <header className="page-head">
          <h1>Overview</h1>
        </header>
        <section className="card">
          <h2>Team</h2>
          <p className="muted">
            Invite colleagues and set their roles under <Link href="/settings/members">Members</Link>.
          </p>
        </section>
        <section className="card">
          <h2>System</h2>
          <HealthList checks={checks} />
        </section>
      </div>
    </AppShell>
  );
}

import Link from 'next/link';
import { redirect } from 'next/navigation';
import type { ReactNode } from 'react';
import { getSession } from '../_server/auth';
import { env } from '../_server/env';
import { SignOutButton } from './sign-out-button';
import { WorkspaceSwitcher } from './workspace-switcher';

const NAV = [
  { href: '/', label: 'Overview' },
  { href: '/pipelines', label: 'Pipelines' },
  { href: '/runs', label: 'Runs' },
  { href: '/connections', label: 'Connections' },
  { href: '/settings/members', label: 'Members' },
  { href: '/status', label: 'Status' },
];

/** Signed-in frame: navigation, workspace, Temporal UI link. Redirects to sign-in without a session. */
export async function AppShell({ children }: { children: ReactNode }) {
  const session = await getSession();
  if (!session?.user) redirect('/sign-in');
  const e = env();
  const temporalUi = e.usesLocalTemporal ? e.temporalUiUrl : e.TEMPORAL_UI_URL;
  return (
    <div className="shell">
      <aside className="sidebar">
        <Link href="/" className="brand">
          <span className="brand-mark" aria-hidden>
            ⤺
          </span>
          Backflow
        </Link>
        <WorkspaceSwitcher />
        <nav aria-label="Main">
          {NAV.map((n) => (
            <Link key={n.href} href={n.href} className="nav-link">
              {n.label}
            </Link>
          ))}
        </nav>
        <div className="sidebar-foot">
          {temporalUi ? (
            <a href={temporalUi} target="_blank" rel="noreferrer" className="nav-link subtle">
              Temporal UI ↗
            </a>
          ) : null}
          <div className="user-line" title={session.user.email}>
            {session.user.email}
          </div>
          <SignOutButton />
        </div>
      </aside>
      <main className="content">{children}</main>
    </div>
  );
}

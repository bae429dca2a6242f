import { redirect } from 'next/navigation';
import { getSession } from '../_server/auth';
import { SignInForm } from './sign-in-form';

export const dynamic = 'force-dynamic';

export default async function SignInPage() {
  const session = await getSession();
  if (session?.user) redirect('/');
  return (
    <div className="auth-page">
      <div className="auth-card">
        <h1 className="brand big">
          <span className="brand-mark" aria-hidden>
            ⤺
          </span>
          Backflow
        </h1>
        <p className="muted">Sign in to sync your warehouse with the tools your teams use.</p>
        <SignInForm />
      </div>
    </div>
  );
}

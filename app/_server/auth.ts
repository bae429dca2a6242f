/**
 * Authentication: next-auth (v4) with email + password, JWT sessions.
 * Passwords are hashed with argon2id (@node-rs/argon2, prebuilt, no install script).
 */
import { hash, verify } from '@node-rs/argon2';
import type { NextAuthOptions, Session } from 'next-auth';
import { getServerSession } from 'next-auth';
import CredentialsProvider from 'next-auth/providers/credentials';
import { z } from 'zod';
import { db, type Db } from './db';
import { env, requireSecrets } from './env';

export const ZCredentials = z.object({
  email: z.email().transform((e) => e.toLowerCase()),
  password: z.string().min(1),
});

export function hashPassword(password: string): Promise<string> {
  return hash(password);
}

let dummyHash: Promise<string> | undefined;

export type AuthUser = { id: string; email: string; name: string | null };

/** Returns the user when the password matches, otherwise null (never says which part was wrong). */
export async function verifyCredentials(database: Db, input: unknown): Promise<AuthUser | null> {
  const parsed = ZCredentials.safeParse(input);
  if (!parsed.success) return null;
  const user = await database.user.findUnique({ where: { email: parsed.data.email } });
  if (!user) {
    // Spend the same time as a real check so response times do not reveal which emails exist.
    dummyHash ??= hash('backflow-timing-equaliser');
    await verify(await dummyHash, parsed.data.password);
    return null;
  }
  const ok = await verify(user.passwordHash, parsed.data.password);
  return ok ? { id: user.id, email: user.email, name: user.name } : null;
}

export function authOptions(): NextAuthOptions {
  return {
    secret: requireSecrets().authSecret,
    session: { strategy: 'jwt', maxAge: 60 * 60 * 24 * 7 },
    pages: { signIn: '/sign-in' },
    providers: [
      CredentialsProvider({
        name: 'Email and password',
        credentials: { email: { label: 'Email', type: 'email' }, password: { label: 'Password', type: 'password' } },
        authorize: (credentials) => verifyCredentials(db(), credentials),
      }),
    ],
    callbacks: {
      jwt({ token, user }) {
        if (user) token.sub = user.id;
        return token;
      },
      session({ session, token }) {
        if (session.user && token.sub) session.user.id = token.sub;
        return session;
      },
    },
    // Cookies are `secure` only when the app is served over https.
    useSecureCookies: env().appUrl.startsWith('https://'),
  };
}

export function getSession(): Promise<Session | null> {
  return getServerSession(authOptions());
}

import { describe, expect, it } from 'vitest';
import { childProcessEnv, EnvError, parseEnv, requireSecrets } from '../../../app/_server/env';

function errorOf(source: Record<string, string>): string {
  try {
    parseEnv(source);
  } catch (err) {
    expect(err).toBeInstanceOf(EnvError);
    return (err as Error).message;
  }
  throw new Error('expected an EnvError');
}

describe('environment validation', () => {
  it('uses the embedded PostgreSQL and the local Temporal when nothing is set', () => {
    const e = parseEnv({});
    expect(e).toMatchObject({ usesEmbeddedPostgres: true, usesLocalTemporal: true, PORT: 3000, temporalAddress: '127.0.0.1:7233' });
    expect(e.databaseUrl).toBe('postgresql://postgres:postgres@127.0.0.1:54329/backflow');
  });

  it('names the variable, the bad value and the fix, on one line', () => {
    for (const [source, pattern] of [
      [{ PORT: '99999' }, /^PORT is invalid \("99999"\).* — fix: set PORT to a free TCP port/],
      [{ DATABASE_URL: 'mysql://x' }, /^DATABASE_URL is invalid \("mysql:\/\/x"\).* — fix: set DATABASE_URL=postgresql:\/\//],
      [{ TEMPORAL_ADDRESS: 'localhost' }, /^TEMPORAL_ADDRESS is invalid \("localhost"\): expected host:port/],
      [{ BACKFLOW_ENCRYPTION_KEY: 'c2hvcnQ=' }, /^BACKFLOW_ENCRYPTION_KEY is invalid .*32 bytes/],
      [{ ADMIN_EMAIL: 'not-an-email' }, /^ADMIN_EMAIL is invalid/],
    ] as const) {
      const message = errorOf(source);
      expect(message).toMatch(pattern);
      expect(message).not.toContain('\n');
    }
  });

  it('requires the secrets the app and worker need, with the fix', () => {
    expect(() => requireSecrets(parseEnv({}))).toThrow(/NEXTAUTH_SECRET is missing — fix: run `npm run setup`/);
    const ok = requireSecrets(parseEnv({ NEXTAUTH_SECRET: 'x'.repeat(40), BACKFLOW_ENCRYPTION_KEY: Buffer.alloc(32, 7).toString('base64') }));
    expect(ok.encryptionKey).toHaveLength(32);
  });

  it('hands children of npm start the resolved database, Temporal and Web UI addresses', () => {
    const e = parseEnv({});
    const child = childProcessEnv(e);
    expect(child).toMatchObject({ DATABASE_URL: e.databaseUrl, TEMPORAL_ADDRESS: '127.0.0.1:7233', TEMPORAL_UI_URL: 'http://localhost:8233' });
    // The child still knows the database is the embedded one, and Temporal is remote to it.
    const inChild = parseEnv({ DATABASE_URL: child.DATABASE_URL!, TEMPORAL_ADDRESS: child.TEMPORAL_ADDRESS!, TEMPORAL_UI_URL: child.TEMPORAL_UI_URL! });
    expect(inChild).toMatchObject({ usesEmbeddedPostgres: true, usesLocalTemporal: false, temporalUiUrl: 'http://localhost:8233' });
    expect(childProcessEnv(parseEnv({ TEMPORAL_ADDRESS: 'temporal.internal:7233' })).TEMPORAL_UI_URL).toBe(process.env.TEMPORAL_UI_URL);
  });
});

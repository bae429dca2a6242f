import { describe, expect, it } from 'vitest';
import { verifyCredentials } from '../../../app/_server/auth';
import { createUser, testDb } from '../../helpers/db';

describe('sign-in with email and password', () => {
  it('accepts the right password and rejects a wrong one', async () => {
    const db = testDb();
    const user = await createUser(db, { password: 'correct horse battery staple' });

    const ok = await verifyCredentials(db, { email: user.email, password: 'correct horse battery staple' });
    expect(ok).toMatchObject({ id: user.id, email: user.email });

    expect(await verifyCredentials(db, { email: user.email, password: 'correct horse battery stapl' })).toBeNull();
    expect(await verifyCredentials(db, { email: user.email.toUpperCase(), password: 'correct horse battery staple' })).toMatchObject({ id: user.id });
  });

  it('rejects unknown emails and malformed input without throwing', async () => {
    const db = testDb();
    expect(await verifyCredentials(db, { email: 'nobody@test.local', password: 'whatever' })).toBeNull();
    expect(await verifyCredentials(db, { email: 'not-an-email', password: 'x' })).toBeNull();
    expect(await verifyCredentials(db, null)).toBeNull();
  });

  it('stores an argon2id hash, never the password', async () => {
    const db = testDb();
    const user = await createUser(db, { password: 'plain-text-must-not-appear' });
    const row = await db.user.findUniqueOrThrow({ where: { id: user.id } });
    expect(row.passwordHash).toMatch(/^\$argon2id\$/);
    expect(row.passwordHash).not.toContain('plain-text-must-not-appear');
  });
});

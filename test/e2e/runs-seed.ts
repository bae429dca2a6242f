/**
 * TEST INFRASTRUCTURE: fills a development database with the runs of
 * runs-fixture.ts, in the default workspace, plus members to sign in as:
 * ui@test.local (admin) and viewer@ / operator@ / editor@test.local, all with
 * the password in runs-users.ts.
 *
 *   DATABASE_URL=… TEMPORAL_ADDRESS=… tsx test/e2e/runs-seed.ts <dir> <receiverUrl>
 *
 * Needs a worker on the same database and Temporal (npm run worker)
 * and the receiver (tsx test/e2e/runs-receiver.ts 7398 300).
 */
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { hashPassword } from '../../app/_server/auth';
import { createDb } from '../../app/_server/db';
import { env } from '../../app/_server/env';
import { createCaller } from '../../app/_server/root';
import { ROLES } from '../../app/_server/roles';
import { seed } from '../../prisma/seed';
import { createRunsFixture } from './runs-fixture';
import { UI_ADMIN, UI_PASSWORD, uiMember } from './runs-users';

const dir = path.resolve(process.argv[2] ?? '/tmp/backflow-ui');
const receiverUrl = process.argv[3] ?? 'http://127.0.0.1:7398/hook';
await mkdir(dir, { recursive: true });

const db = createDb(env().databaseUrl);
const { workspaceId } = await seed(db, { adminEmail: UI_ADMIN, adminPassword: UI_PASSWORD });
for (const role of ROLES.filter((r) => r !== 'admin')) {
  const email = uiMember(role);
  const user = (await db.user.findUnique({ where: { email } })) ?? (await db.user.create({ data: { email, passwordHash: await hashPassword(UI_PASSWORD) } }));
  await db.membership.upsert({ where: { userId_workspaceId: { userId: user.id, workspaceId } }, update: { role }, create: { userId: user.id, workspaceId, role } });
}
const admin = await db.user.findUniqueOrThrow({ where: { email: UI_ADMIN } });
const caller = createCaller({ db, user: { id: admin.id, email: admin.email, name: null }, workspaceId });
const fixture = await createRunsFixture({ db, workspaceId, caller, dir, receiverUrl, log: (line) => console.log(line) });
console.log(JSON.stringify(fixture, null, 2));
await db.$disconnect();
process.exit(0);

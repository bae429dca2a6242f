// Used by the Prisma CLI (`prisma generate`, and `prisma migrate deploy` where the
// native schema engine is available). Backflow's own migrator is prisma/migrate.ts.
import { defineConfig } from 'prisma/config';
import { env } from './app/_server/env';

export default defineConfig({
  schema: 'prisma/schema.prisma',
  migrations: { path: 'prisma/migrations' },
  datasource: { url: env().databaseUrl },
});

/**
 * Fixtures for pipeline service and router tests: the demo warehouse (5,000
 * customers) in a temp dir as a DuckDB connection, and a destination
 * connection of "test-crm", a TEST-ONLY connector defined here that describes a
 * contacts object (it sends nothing anywhere).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { z } from 'zod';
import type { Db } from '../../../../app/_server/db';
import { connectors } from '../../../../connectors/registry';
import { defineConnector } from '../../../../connectors/sdk/define';
import { closeDuckDbInstances } from '../../../../connectors/sources/duckdb';
import { ensureDemoWarehouse } from '../../../../scripts/lib/demo-warehouse';
import { createConnection } from '../../../helpers/pipelines';
import { CONTACT_FIELDS } from '../../../workflows/helpers/graphs';

export const testCrmDestination = defineConnector({
  slug: 'test-crm',
  kind: 'destination',
  displayName: 'Test CRM (test only)',
  icon: '🧪',
  description: 'Test infrastructure: describes a contacts object; write() accepts rows without sending them.',
  testOnly: true,
  credentialsSchema: z.object({}).strict(),
  configSchema: z.object({}).strict(),
  optionsSchema: z.object({ list: z.string().optional() }).strict(),
  capabilities: {
    writes: 'events',
    modes: ['upsert', 'update', 'mirror'],
    batchSize: 100,
    rateLimit: { requestsPerSecond: 1000 },
    deletes: true,
    idempotencyKey: true,
    consistentLookup: false,
    setOnlyIfEmpty: true,
  },
  async test() {
    return { ok: true };
  },
  async discover() {
    return { objects: [{ name: 'contacts', label: 'Contacts', fields: CONTACT_FIELDS, upsert: true }] };
  },
  async write(rows) {
    return rows.map((r) => ({ recordKey: r.recordKey, status: 'accepted' as const }));
  },
});

/** Registers test-crm for the duration of a test file. */
export function registerTestCrm(): () => void {
  if (!connectors.includes(testCrmDestination)) connectors.push(testCrmDestination);
  return () => {
    const i = connectors.indexOf(testCrmDestination);
    if (i >= 0) connectors.splice(i, 1);
  };
}

export type DemoWarehouse = { dir: string; file: string; cleanup: () => Promise<void> };

export async function demoWarehouse(customers = 5000): Promise<DemoWarehouse> {
  const dir = await mkdtemp(path.join(tmpdir(), 'backflow-pipelines-'));
  const file = path.join(dir, 'warehouse.duckdb');
  await ensureDemoWarehouse(file, { customers });
  return {
    dir,
    file,
    cleanup: async () => {
      closeDuckDbInstances();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

export async function pipelineConnections(db: Db, workspaceId: string, warehouseFile: string) {
  const source = await createConnection(db, workspaceId, { name: `Demo warehouse ${workspaceId.slice(-5)}`, kind: 'source', connector: 'duckdb', config: { path: warehouseFile } });
  const dest = await createConnection(db, workspaceId, { name: `CRM ${workspaceId.slice(-5)}`, kind: 'destination', connector: 'test-crm', config: {} });
  return { sourceId: source.id, destId: dest.id };
}

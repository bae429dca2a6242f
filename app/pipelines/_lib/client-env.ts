/**
 * What the browser knows about the workspace, as the shared validator's env:
 * connections (name, kind, connector) and each destination connector's modes
 * and "only if empty" support, from the connector catalog. Options schemas
 * are zod on the server only, so option checks wait for the server
 * (validate / publish).
 */
import type { SyncMode } from '../../../connectors/sdk/types';
import type { ConnectionFacts, DestinationFacts, ValidationEnv } from '../../../workflows/graph/validate';

export type ConnectionLite = { id: string; name: string; kind: 'source' | 'destination'; connector: string };
export type ConnectorLite = { slug: string; kind: 'source' | 'destination'; displayName: string; capabilities: { modes: SyncMode[]; setOnlyIfEmpty: boolean } | null };

export function clientValidationEnv(connections: ConnectionLite[] | undefined, connectors: ConnectorLite[] | undefined): ValidationEnv {
  if (!connections || !connectors) return {};
  const facts = new Map<string, ConnectionFacts>(connections.map((c) => [c.id, { name: c.name, kind: c.kind, connector: c.connector }]));
  const bySlug = new Map(connectors.map((c) => [c.slug, c]));
  return {
    connections: facts,
    destination(slug): DestinationFacts | undefined {
      const c = bySlug.get(slug);
      if (!c || c.kind !== 'destination' || !c.capabilities) return undefined;
      return { displayName: c.displayName, modes: c.capabilities.modes, setOnlyIfEmpty: c.capabilities.setOnlyIfEmpty };
    },
  };
}

/**
 * Every connector Backflow knows. A plain array: adding a connector is one import
 * and one line here.
 */
import type { AnyConnector, AnyDestination, AnySource } from './sdk/types';
import { duckdbSource } from './sources/duckdb';

export const connectors: AnyConnector[] = [
  // sources
  duckdbSource,
  // destinations
];

export function findConnector(slug: string): AnyConnector | undefined {
  return connectors.find((c) => c.slug === slug);
}

export function getSource(slug: string): AnySource {
  const c = findConnector(slug);
  if (!c || c.kind !== 'source') throw new Error(`unknown source connector "${slug}" — fix: use one of ${listSlugs('source')}`);
  return c;
}

export function getDestination(slug: string): AnyDestination {
  const c = findConnector(slug);
  if (!c || c.kind !== 'destination') throw new Error(`unknown destination connector "${slug}" — fix: use one of ${listSlugs('destination')}`);
  return c;
}

function listSlugs(kind: 'source' | 'destination'): string {
  return connectors
    .filter((c) => c.kind === kind)
    .map((c) => c.slug)
    .join(', ') || '(none registered)';
}

/**
 * Every connector Backflow knows. A plain array: adding a connector is one import
 * and one line here.
 */
import type { AnyConnector, AnyDestination, AnySource } from './sdk/types';
import { hubspotDestination } from './destinations/hubspot';
import { postgresDestination } from './destinations/postgres';
import { salesforceDestination } from './destinations/salesforce';
import { webhookDestination } from './destinations/webhook';
import { mailchimpDestination } from './destinations/mailchimp';
import { brazeDestination } from './destinations/braze';
import { facebookAudiencesDestination } from './destinations/facebook-audiences';
import { slackDestination } from './destinations/slack';
import { noopSinkDestination } from './destinations/noop-sink';
import { duckdbSource } from './sources/duckdb';
import { postgresSource } from './sources/postgres';
import { redshiftSource } from './sources/redshift';
import { mysqlSource } from './sources/mysql';
import { snowflakeSource } from './sources/snowflake';
import { bigquerySource } from './sources/bigquery';

export const connectors: AnyConnector[] = [
  // sources
  duckdbSource,
  postgresSource,
  redshiftSource,
  mysqlSource,
  snowflakeSource,
  bigquerySource,
  // destinations
  noopSinkDestination,
  webhookDestination,
  postgresDestination,
  hubspotDestination,
  salesforceDestination,
  mailchimpDestination,
  brazeDestination,
  facebookAudiencesDestination,
  slackDestination,
];

// Slugs identify connectors in stored connections: they must be unique.
const seen = new Set<string>();
for (const c of connectors) {
  if (seen.has(c.slug)) throw new Error(`two connectors use the slug "${c.slug}" — fix: rename one in connectors/registry.ts`);
  seen.add(c.slug);
}

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

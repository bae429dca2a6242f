/**
 * The demo warehouse: a DuckDB file with a realistic e-commerce dataset, so a
 * new user has something to sync on day one.
 *
 *   customers         ~50,000 people with emails, countries, signup dates, plans
 *   orders            ~4 per customer on average, skewed
 *   product_events    page views, add-to-carts, logins… over the last 90 days
 *   customer_metrics  derived: orders, lifetime value, last activity, churn risk
 *
 * Values are derived from hash(id, salt), not random(), so the data is the same
 * on every machine and every thread count. A few rows are deliberately bad
 * (invalid or missing emails) so per-row rejects show up in demos.
 *
 * DuckDB lets one process write a file; we build into a temporary file and rename
 * it into place, so a crash never leaves a half-written warehouse behind.
 */
import { existsSync } from 'node:fs';
import { mkdir, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';

export const DEMO_CUSTOMERS = 50_000;

const FIRST_NAMES = [
  'Olivia', 'Liam', 'Emma', 'Noah', 'Ava', 'Lucas', 'Mia', 'Mateo', 'Sofia', 'Leon', 'Amelia', 'Hugo', 'Aisha', 'Omar',
  'Yuki', 'Haruto', 'Chloe', 'Louis', 'Ines', 'Diego', 'Priya', 'Arjun', 'Zoe', 'Elias', 'Freya', 'Finn', 'Lea',
  'Jonas', 'Camila', 'Santiago', 'Hannah', 'Ben', 'Nora', 'Ivan', 'Anya', 'Kwame', 'Amara', 'Lars', 'Ingrid', 'Wei',
];
const LAST_NAMES = [
  'Smith', 'Garcia', 'Müller', 'Rossi', 'Dubois', 'Silva', 'Kowalski', 'Nakamura', 'Kim', 'Patel', 'Okafor', 'Jensen',
  'Novak', 'Costa', 'Schmidt', 'Martin', 'Lopez', 'Brown', 'Wilson', 'Andersson', 'Nielsen', 'Fischer', 'Moreau',
  'Fernandes', 'Ivanova', 'Chen', 'Singh', 'Tanaka', "O'Brien", 'van Dijk',
];
/** Country codes weighted by repetition. */
const COUNTRIES = ['US', 'US', 'US', 'US', 'GB', 'GB', 'DE', 'DE', 'FR', 'FR', 'ES', 'IT', 'NL', 'SE', 'PL', 'BR', 'CA', 'CA', 'AU', 'JP', 'IN', 'MX'];
const DOMAINS = ['gmail.com', 'gmail.com', 'gmail.com', 'outlook.com', 'yahoo.com', 'icloud.com', 'proton.me', 'fastmail.com', 'acme.io', 'example.org'];
const PLANS = ['free', 'free', 'free', 'starter', 'starter', 'pro', 'business'];
const EVENT_TYPES = ['page_view', 'page_view', 'page_view', 'page_view', 'product_view', 'product_view', 'add_to_cart', 'login', 'search', 'checkout_started'];

function list(values: string[]): string {
  return `[${values.map((v) => `'${v.replace(/'/g, "''")}'`).join(', ')}]`;
}

/** Picks values[hash(expr, salt) % len] with a 1-based DuckDB list index. */
function pick(values: string[], expr: string, salt: string): string {
  return `${list(values)}[1 + (hash(${expr}, '${salt}') % ${values.length})::INTEGER]`;
}

/** A deterministic uniform number in [0, 1). */
function unit(expr: string, salt: string): string {
  return `((hash(${expr}, '${salt}') % 1000000)::DOUBLE / 1000000.0)`;
}

export function demoWarehouseSql(customers = DEMO_CUSTOMERS): string[] {
  return [
    `CREATE TABLE customers AS
     SELECT
       i::BIGINT AS customer_id,
       first_name,
       last_name,
       CASE
         WHEN i % 997 = 0 THEN NULL
         WHEN i % 499 = 0 THEN lower(first_name) || '.' || i || '-at-' || domain
         ELSE lower(regexp_replace(first_name || '.' || last_name, '[^A-Za-z.]', '', 'g')) || i || '@' || domain
       END AS email,
       country,
       (current_date - (${unit('i', 'signup')} * 1095)::INTEGER) AS signup_date,
       ${pick(PLANS, 'i', 'plan')} AS plan,
       ${unit('i', 'optin')} < 0.62 AS marketing_opt_in
     FROM (
       SELECT i,
         ${pick(FIRST_NAMES, 'i', 'first')} AS first_name,
         ${pick(LAST_NAMES, 'i', 'last')} AS last_name,
         ${pick(COUNTRIES, 'i', 'country')} AS country,
         ${pick(DOMAINS, 'i', 'domain')} AS domain
       FROM range(1, ${customers + 1}) t(i)
     )`,
    `ALTER TABLE customers ADD PRIMARY KEY (customer_id)`,
    // Orders: a skewed count per customer (many 0-2, some loyal buyers with 20+).
    `CREATE TABLE orders AS
     WITH per_customer AS (
       SELECT customer_id, signup_date,
         floor(pow(${unit('customer_id', 'ordercount')}, 3) * 30)::INTEGER AS n
       FROM customers
     )
     SELECT
       (customer_id * 100 + k)::BIGINT AS order_id,
       customer_id,
       (signup_date::TIMESTAMP
         + to_seconds((${unit('customer_id * 100 + k', 'orderdate')} * (current_date - signup_date) * 86400)::BIGINT)) AS ordered_at,
       round(12 + pow(${unit('customer_id * 100 + k', 'amount')}, 2) * 480, 2)::DECIMAL(10, 2) AS amount,
       CASE WHEN ${unit('customer_id * 100 + k', 'status')} < 0.06 THEN 'refunded' ELSE 'completed' END AS status
     FROM per_customer, range(0, 30) r(k)
     WHERE k < n`,
    `CREATE TABLE product_events AS
     WITH per_customer AS (
       SELECT customer_id,
         CASE WHEN ${unit('customer_id', 'active')} < 0.35 THEN 0
              ELSE floor(${unit('customer_id', 'eventcount')} * 25)::INTEGER END AS n
       FROM customers
     )
     SELECT
       (customer_id * 100 + k)::BIGINT AS event_id,
       customer_id,
       ${pick(EVENT_TYPES, 'customer_id * 100 + k', 'etype')} AS event_type,
       (current_date::TIMESTAMP - to_seconds((${unit('customer_id * 100 + k', 'etime')} * 90 * 86400)::BIGINT)) AS occurred_at
     FROM per_customer, range(0, 25) r(k)
     WHERE k < n`,
    `CREATE TABLE customer_metrics AS
     WITH o AS (
       SELECT customer_id,
         count(*) FILTER (WHERE status = 'completed') AS orders_count,
         coalesce(sum(amount) FILTER (WHERE status = 'completed'), 0) AS lifetime_value,
         max(ordered_at) AS last_order_at
       FROM orders GROUP BY customer_id
     ), e AS (
       SELECT customer_id,
         count(*) FILTER (WHERE occurred_at >= current_date - INTERVAL 30 DAY) AS events_30d,
         max(occurred_at) AS last_seen_at
       FROM product_events GROUP BY customer_id
     ), scored AS (
       SELECT c.customer_id, c.email, c.first_name, c.last_name, c.country, c.signup_date, c.plan, c.marketing_opt_in,
         coalesce(o.orders_count, 0)::INTEGER AS orders_count,
         coalesce(o.lifetime_value, 0)::DECIMAL(12, 2) AS lifetime_value,
         o.last_order_at,
         e.last_seen_at,
         coalesce(e.events_30d, 0)::INTEGER AS events_30d,
         round(least(1.0, greatest(0.0,
           0.15
           + 0.45 * least(1.0, coalesce(date_diff('day', e.last_seen_at, current_date::TIMESTAMP), 120) / 90.0)
           + 0.25 * CASE WHEN coalesce(o.orders_count, 0) = 0 THEN 1.0 ELSE 1.0 / (1 + o.orders_count) END
           - 0.20 * least(1.0, coalesce(e.events_30d, 0) / 20.0)
         )), 3)::DOUBLE AS churn_risk
       FROM customers c LEFT JOIN o USING (customer_id) LEFT JOIN e USING (customer_id)
     )
     SELECT *,
       CASE WHEN churn_risk >= 0.6 THEN 'high' WHEN churn_risk >= 0.35 THEN 'medium' ELSE 'low' END AS churn_risk_band
     FROM scored`,
    `ALTER TABLE customer_metrics ADD PRIMARY KEY (customer_id)`,
  ];
}

export type DemoWarehouseSummary = { customers: number; orders: number; events: number; path: string };

async function summarize(file: string): Promise<DemoWarehouseSummary | null> {
  const instance = await DuckDBInstance.create(file, { access_mode: 'READ_ONLY', threads: '1', memory_limit: '256MB' });
  try {
    const conn = await instance.connect();
    const r = await conn.runAndReadAll(
      `SELECT (SELECT count(*) FROM customers)::INTEGER AS c, (SELECT count(*) FROM orders)::INTEGER AS o,
              (SELECT count(*) FROM product_events)::INTEGER AS e, (SELECT count(*) FROM customer_metrics)::INTEGER AS m`,
    );
    const row = r.getRowObjects()[0];
    conn.closeSync();
    if (!row || Number(row.m) === 0) return null;
    return { customers: Number(row.c), orders: Number(row.o), events: Number(row.e), path: file };
  } catch {
    return null;
  } finally {
    instance.closeSync();
  }
}

/** Creates the warehouse unless a complete one exists. Returns what is there. */
export async function ensureDemoWarehouse(
  file: string,
  opts: { customers?: number; log?: (m: string) => void } = {},
): Promise<DemoWarehouseSummary & { created: boolean }> {
  if (existsSync(file)) {
    const existing = await summarize(file);
    if (existing) return { ...existing, created: false };
    opts.log?.(`${file} is incomplete; rebuilding it`);
  }
  await mkdir(path.dirname(file), { recursive: true });
  const tmp = `${file}.building-${process.pid}`;
  await rm(tmp, { force: true });
  const instance = await DuckDBInstance.create(tmp, { threads: '2', memory_limit: '1GB' });
  try {
    const conn = await instance.connect();
    for (const sql of demoWarehouseSql(opts.customers)) await conn.run(sql);
    await conn.run('CHECKPOINT');
    conn.closeSync();
  } finally {
    instance.closeSync();
  }
  await rm(`${tmp}.wal`, { force: true });
  await rename(tmp, file);
  const summary = await summarize(file);
  if (!summary) throw new Error(`demo warehouse at ${file} is empty after building`);
  return { ...summary, created: true };
}

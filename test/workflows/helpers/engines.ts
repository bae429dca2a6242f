/**
 * The three real SQL engines tests run compiled SQL on: in-memory DuckDB, the
 * test run's PostgreSQL database, and MariaDB (127.0.0.1:3306, root, `test`).
 * Results come back as plain objects; dates and timestamps as text.
 */
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import mysql from 'mysql2/promise';
import pg from 'pg';
import { inject } from 'vitest';
import { dialectFor, type Dialect } from '../../../workflows/compile/dialects';

export type Engine = { name: string; dialect: Dialect; run(sql: string): Promise<Record<string, unknown>[]>; close(): Promise<void> };

export const ALL_ENGINES = [duckEngine, pgEngine, mariaEngine];

export async function duckEngine(): Promise<Engine> {
  const instance = await DuckDBInstance.create(':memory:', { threads: '1', memory_limit: '512MB' });
  const conn: DuckDBConnection = await instance.connect();
  return {
    name: 'duckdb',
    dialect: dialectFor('duckdb'),
    async run(sql) {
      const r = await conn.runAndReadAll(sql);
      return r.getRowObjectsJson();
    },
    async close() {
      conn.closeSync();
      instance.closeSync();
    },
  };
}

export async function pgEngine(): Promise<Engine> {
  const types = {
    getTypeParser: (oid: number, format?: string) => {
      // Keep dates and timestamps as text (no local time zone); numbers as numbers.
      if (oid === 1082 || oid === 1114 || oid === 1184) return (v: string) => v;
      if (oid === 20 || oid === 1700 || oid === 701 || oid === 700) return (v: string) => Number(v);
      return pg.types.getTypeParser(oid, format as 'text');
    },
  };
  const client = new pg.Client({ connectionString: inject('databaseUrl'), types });
  await client.connect();
  return {
    name: 'postgres',
    dialect: dialectFor('postgres'),
    async run(sql) {
      return (await client.query(sql)).rows;
    },
    async close() {
      await client.end();
    },
  };
}

export async function mariaEngine(): Promise<Engine> {
  let conn: mysql.Connection;
  try {
    conn = await mysql.createConnection({
      host: '127.0.0.1',
      port: 3306,
      user: 'root',
      database: 'test',
      charset: 'utf8mb4_general_ci',
      dateStrings: true,
      supportBigNumbers: true,
      bigNumberStrings: true,
      timezone: 'Z',
    });
  } catch (err) {
    throw new Error(
      `MariaDB at 127.0.0.1:3306 is not reachable (${String(err)}) — fix: start it with \`start-stop-daemon --start --oknodo --background --exec /usr/sbin/mariadbd\` (or install mariadb-server)`,
    );
  }
  return {
    name: 'mariadb',
    dialect: dialectFor('mysql'),
    async run(sql) {
      const [result] = await conn.query({ sql, rowsAsArray: false });
      return Array.isArray(result) ? (result as Record<string, unknown>[]) : [];
    },
    async close() {
      await conn.end();
    },
  };
}


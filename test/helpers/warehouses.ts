/**
 * The three warehouses the engine hashes in SQL, opened directly (no connector)
 * for tests of the SQL it generates: DuckDB in memory, the machine's
 * PostgreSQL and MariaDB.
 */
import { DuckDBInstance } from '@duckdb/node-api';
import mysql from 'mysql2/promise';
import pg from 'pg';
import type { HashDialect } from '../../workflows/engine/sql-dialect';

export type Warehouse = {
  dialect: HashDialect;
  /** Every row of a query, as plain objects. */
  rows: (sql: string) => Promise<Record<string, unknown>[]>;
  exec: (sql: string) => Promise<void>;
  close: () => Promise<void>;
};

async function duckdb(): Promise<Warehouse> {
  const instance = await DuckDBInstance.create(':memory:', { threads: '1' });
  const conn = await instance.connect();
  return {
    dialect: 'duckdb',
    rows: async (sql) => (await conn.runAndReadAll(sql)).getRowObjectsJson() as Record<string, unknown>[],
    exec: async (sql) => void (await conn.run(sql)),
    close: async () => {
      conn.closeSync();
      instance.closeSync();
    },
  };
}

async function postgres(): Promise<Warehouse> {
  const client = new pg.Client({ connectionString: 'postgresql://postgres@127.0.0.1:5432/postgres' });
  await client.connect();
  return {
    dialect: 'postgres',
    rows: async (sql) => (await client.query<Record<string, unknown>>(sql)).rows,
    exec: async (sql) => void (await client.query(sql)),
    close: () => client.end(),
  };
}

async function mariadb(): Promise<Warehouse> {
  const conn = await mysql.createConnection({ host: '127.0.0.1', port: 3306, user: 'root', database: 'test', charset: 'utf8mb4' });
  return {
    dialect: 'mysql',
    rows: async (sql) => (await conn.query(sql))[0] as Record<string, unknown>[],
    exec: async (sql) => void (await conn.query(sql)),
    close: () => conn.end(),
  };
}

/** One opener per dialect, named for test titles. */
export const WAREHOUSES: readonly { name: string; open: () => Promise<Warehouse> }[] = [
  { name: 'duckdb', open: duckdb },
  { name: 'postgres', open: postgres },
  { name: 'mysql', open: mariadb },
];

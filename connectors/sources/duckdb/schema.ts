import { z } from 'zod';

export const ZDuckDbCredentials = z.object({}).strict();
export type TDuckDbCredentials = z.infer<typeof ZDuckDbCredentials>;

export const ZDuckDbConfig = z.object({
  /** A .duckdb file, opened read-only. Omit for an in-memory database over `files`. */
  path: z.string().min(1).optional(),
  /** CSV or Parquet files exposed as views, e.g. { table: 'leads', path: '/data/leads.csv' }. */
  files: z
    .array(
      z.object({
        table: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'use letters, digits and _'),
        path: z.string().min(1),
      }),
    )
    .default([]),
  memoryLimit: z.string().regex(/^\d+(\.\d+)?\s*(KB|MB|GB|TB)$/i).default('1GB'),
  threads: z.number().int().min(1).max(64).default(2),
});
export type TDuckDbConfig = z.infer<typeof ZDuckDbConfig>;

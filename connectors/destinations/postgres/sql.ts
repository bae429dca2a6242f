/**
 * SQL text for the PostgreSQL destination. Pure functions, no I/O.
 *
 * Every identifier goes through quoteIdent and every value is a bound
 * parameter cast to the column's base type (without its typmod: an explicit
 * cast to varchar(5) would silently truncate, while the assignment to the
 * column raises "value too long", which the connector reports per row).
 *
 * Each write statement reads its rows from a VALUES list that carries the
 * row's ordinal, and joins the rows the data-modifying CTE touched back to it
 * by the typed match column, so results map to input rows exactly even when
 * PostgreSQL canonicalises a value ("007" in an integer column is 7).
 */
import type { FieldType, JsonValue } from '../../sdk/types';

export type ColumnInfo = {
  name: string;
  /** format_type with typmod, e.g. `character varying(20)`: for messages. */
  type: string;
  /** format_type without typmod, e.g. `character varying`: for casts. */
  castType: string;
  fieldType: FieldType;
  notNull: boolean;
  hasDefault: boolean;
  generated: boolean;
  /** json / jsonb: values are bound as JSON text. */
  isJson: boolean;
  isArray: boolean;
};

export type TableInfo = {
  schema: string;
  name: string;
  columns: Map<string, ColumnInfo>;
  /** Columns with a single-column, non-partial unique index or constraint. */
  uniqueColumns: Set<string>;
  /** The single-column primary key, if the table has one. */
  primaryKey: string | null;
};

export function quoteIdent(name: string): string {
  if (name.includes('\0')) throw new Error(`identifier ${JSON.stringify(name)} contains a NUL character`);
  return `"${name.replace(/"/g, '""')}"`;
}

export function qualified(schema: string, table: string): string {
  return `${quoteIdent(schema)}.${quoteIdent(table)}`;
}

/** Maps a pg_type name (and its element type for arrays) to a Backflow field type. */
export function fieldTypeOf(typname: string, elemTypname: string | null): FieldType {
  if (elemTypname) return ['text', 'varchar', 'bpchar', 'citext'].includes(elemTypname) ? 'string_array' : 'json';
  if (['int2', 'int4', 'int8'].includes(typname)) return 'integer';
  if (['numeric', 'float4', 'float8', 'money'].includes(typname)) return 'number';
  if (typname === 'bool') return 'boolean';
  if (typname === 'date') return 'date';
  if (typname === 'timestamp' || typname === 'timestamptz') return 'timestamp';
  if (typname === 'json' || typname === 'jsonb') return 'json';
  return 'string';
}

/** Columns (with types) and unique columns of every table in a schema, or of one table. */
export const INTROSPECT_COLUMNS = `
  SELECT c.relname AS table_name, a.attname AS name,
         format_type(a.atttypid, a.atttypmod) AS type,
         format_type(a.atttypid, NULL) AS cast_type,
         t.typname, et.typname AS elem_typname,
         a.attnotnull AS not_null,
         (a.atthasdef OR a.attidentity <> '') AS has_default,
         (a.attgenerated <> '' OR a.attidentity = 'a') AS generated
  FROM pg_attribute a
  JOIN pg_class c ON c.oid = a.attrelid
  JOIN pg_namespace n ON n.oid = c.relnamespace
  JOIN pg_type t ON t.oid = a.atttypid
  LEFT JOIN pg_type et ON et.oid = t.typelem AND t.typcategory = 'A'
  WHERE n.nspname = $1 AND ($2::text IS NULL OR c.relname = $2) AND c.relkind IN ('r', 'p')
    AND a.attnum > 0 AND NOT a.attisdropped
  ORDER BY c.relname, a.attnum`;

export const INTROSPECT_UNIQUE = `
  SELECT c.relname AS table_name, a.attname AS name, i.indisprimary AS is_primary
  FROM pg_index i
  JOIN pg_class c ON c.oid = i.indrelid
  JOIN pg_namespace n ON n.oid = c.relnamespace
  JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = i.indkey[0]
  WHERE n.nspname = $1 AND ($2::text IS NULL OR c.relname = $2)
    AND i.indisunique AND i.indnkeyatts = 1 AND i.indpred IS NULL AND i.indexprs IS NULL`;

export type ColumnRow = {
  table_name: string;
  name: string;
  type: string;
  cast_type: string;
  typname: string;
  elem_typname: string | null;
  not_null: boolean;
  has_default: boolean;
  generated: boolean;
};
export type UniqueRow = { table_name: string; name: string; is_primary: boolean };

/** Groups introspection rows into TableInfo per table. */
export function buildTables(schema: string, columns: ColumnRow[], uniques: UniqueRow[]): Map<string, TableInfo> {
  const tables = new Map<string, TableInfo>();
  for (const r of columns) {
    let t = tables.get(r.table_name);
    if (!t) {
      t = { schema, name: r.table_name, columns: new Map(), uniqueColumns: new Set(), primaryKey: null };
      tables.set(r.table_name, t);
    }
    t.columns.set(r.name, {
      name: r.name,
      type: r.type,
      castType: r.cast_type,
      fieldType: fieldTypeOf(r.typname, r.elem_typname),
      notNull: r.not_null,
      hasDefault: r.has_default,
      generated: r.generated,
      isJson: r.typname === 'json' || r.typname === 'jsonb',
      isArray: r.elem_typname !== null,
    });
  }
  for (const u of uniques) {
    const t = tables.get(u.table_name);
    if (!t) continue;
    t.uniqueColumns.add(u.name);
    if (u.is_primary) t.primaryKey = u.name;
  }
  return tables;
}

/** A JSON value as a bound parameter for a column of this type. */
export function toParam(value: JsonValue | undefined, column: ColumnInfo): unknown {
  if (value === null || value === undefined) return null;
  if (column.isJson) return JSON.stringify(value);
  if (Array.isArray(value)) return column.isArray ? value : JSON.stringify(value);
  if (typeof value === 'object') return JSON.stringify(value);
  return value;
}

export type StatementKind = 'upsert' | 'insert' | 'update' | 'delete';

export type StatementSpec = {
  kind: StatementKind;
  table: TableInfo;
  matchColumn: string;
  /** Columns written (not including the match column); empty for delete. */
  columns: string[];
  /** Columns written only when the stored value is NULL ("only set if empty"). */
  onlyIfEmpty: Set<string>;
};

export type BoundRow = { ordinal: number; values: Record<string, JsonValue> };

/**
 * One statement for `rows`. Its result has one row per input row that the
 * statement wrote or found: (`__bf_i` ordinal, `__bf_id` external id, `__bf_written`).
 */
export function buildStatement(spec: StatementSpec, rows: BoundRow[]): { text: string; values: unknown[] } {
  const { table, matchColumn } = spec;
  const target = qualified(table.schema, table.name);
  const idColumn = table.primaryKey ?? matchColumn;
  const all = [matchColumn, ...spec.columns.filter((c) => c !== matchColumn)];
  const info = (c: string) => {
    const col = table.columns.get(c);
    if (!col) throw new Error(`column ${c} missing from the introspected table`);
    return col;
  };
  const values: unknown[] = [];
  const tuples = rows.map((row) => {
    const cells = [String(row.ordinal)];
    for (const c of all) {
      values.push(toParam(row.values[c], info(c)));
      cells.push(`$${values.length}::${info(c).castType}`);
    }
    return `(${cells.join(', ')})`;
  });
  // v's columns are positional aliases, so no user column name can collide with ours.
  const alias = all.map((_, i) => `"c${i}"`);
  const vCols = ['"__bf_i"', ...alias].join(', ');
  const cte = `WITH v(${vCols}) AS (VALUES ${tuples.join(', ')})`;
  const m = quoteIdent(matchColumn);
  const returning = `RETURNING t.${m} AS "__bf_m", t.${quoteIdent(idColumn)}::text AS "__bf_id"`;
  const setList = (source: (i: number) => string) =>
    all
      .map((c, i) => ({ c, i }))
      .filter(({ c }) => c !== matchColumn)
      .map(({ c, i }) => (spec.onlyIfEmpty.has(c) ? `${quoteIdent(c)} = COALESCE(t.${quoteIdent(c)}, ${source(i)})` : `${quoteIdent(c)} = ${source(i)}`));

  switch (spec.kind) {
    case 'upsert': {
      const sets = setList((i) => `EXCLUDED.${quoteIdent(all[i]!)}`);
      // With only the match column mapped, a no-op update still RETURNs the row.
      const doUpdate = sets.length ? sets.join(', ') : `${m} = EXCLUDED.${m}`;
      return {
        text: `${cte}, w AS (INSERT INTO ${target} AS t (${all.map(quoteIdent).join(', ')}) SELECT ${alias.join(', ')} FROM v ON CONFLICT (${m}) DO UPDATE SET ${doUpdate} ${returning})
SELECT v."__bf_i", w."__bf_id", true AS "__bf_written" FROM v JOIN w ON w."__bf_m" = v."c0"`,
        values,
      };
    }
    case 'insert':
      // Rows that already exist are found in the pre-statement snapshot (old).
      return {
        text: `${cte}, w AS (INSERT INTO ${target} AS t (${all.map(quoteIdent).join(', ')}) SELECT ${alias.join(', ')} FROM v ON CONFLICT (${m}) DO NOTHING ${returning})
SELECT v."__bf_i", COALESCE(w."__bf_id", old.${quoteIdent(idColumn)}::text) AS "__bf_id", (w."__bf_id" IS NOT NULL) AS "__bf_written"
FROM v LEFT JOIN w ON w."__bf_m" = v."c0" LEFT JOIN ${target} AS old ON old.${m} = v."c0"
WHERE w."__bf_m" IS NOT NULL OR old.${m} IS NOT NULL`,
        values,
      };
    case 'update': {
      const sets = setList((i) => `v."c${i}"`);
      const doSet = sets.length ? sets.join(', ') : `${m} = t.${m}`;
      return {
        text: `${cte}, w AS (UPDATE ${target} AS t SET ${doSet} FROM v WHERE t.${m} = v."c0" ${returning})
SELECT DISTINCT v."__bf_i", w."__bf_id", true AS "__bf_written" FROM v JOIN w ON w."__bf_m" = v."c0"`,
        values,
      };
    }
    case 'delete':
      // Every requested row counts as done: a record that is already gone is the goal.
      return {
        text: `${cte}, w AS (DELETE FROM ${target} AS t USING v WHERE t.${m} = v."c0" ${returning})
SELECT v."__bf_i", (SELECT w."__bf_id" FROM w WHERE w."__bf_m" = v."c0" LIMIT 1) AS "__bf_id", true AS "__bf_written" FROM v`,
        values,
      };
  }
}

/** Rows per statement so that the bound parameters stay under PostgreSQL's 65,535. */
export function rowsPerStatement(columnCount: number, cap: number): number {
  return Math.max(1, Math.min(cap, Math.floor(65_000 / Math.max(1, columnCount))));
}

/** Column type for CREATE TABLE, inferred from sample values (createTable option). */
export function inferColumnType(samples: (JsonValue | undefined)[]): string {
  const present = samples.filter((v): v is JsonValue => v !== null && v !== undefined);
  if (present.length === 0) return 'text';
  if (present.every((v) => typeof v === 'boolean')) return 'boolean';
  // numeric, not bigint: a later batch may carry decimals into the same field.
  if (present.every((v) => typeof v === 'number')) return 'numeric';
  if (present.every((v) => Array.isArray(v) && v.every((x) => typeof x === 'string'))) return 'text[]';
  if (present.every((v) => typeof v === 'object')) return 'jsonb';
  return 'text';
}

import { defineNodeType } from '../types';
import { queryColumns } from './columns';
import { compileQuery } from './compile';
import { queryMeta } from './meta';
import { ZQueryConfig } from './schema';

export const queryNode = defineNodeType({
  type: 'query',
  meta: queryMeta,
  configSchema: ZQueryConfig,
  defaultConfig: () => ({ connectionId: '', source: { kind: 'sql', sql: 'SELECT * FROM customers' }, primaryKey: [] }),
  outputColumns: queryColumns,
  compile: compileQuery,
});

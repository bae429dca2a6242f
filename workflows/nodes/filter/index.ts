import { defineNodeType } from '../types';
import { filterColumns } from './columns';
import { compileFilter } from './compile';
import { filterMeta } from './meta';
import { ZFilterConfig } from './schema';

export const filterNode = defineNodeType({
  type: 'filter',
  meta: filterMeta,
  configSchema: ZFilterConfig,
  defaultConfig: () => ({ match: 'all', groups: [{ match: 'all', conditions: [] }] }),
  outputColumns: filterColumns,
  compile: compileFilter,
});

import { defineNodeType } from '../types';
import { mapColumns } from './columns';
import { compileMap } from './compile';
import { mapMeta } from './meta';
import { ZMapConfig } from './schema';

export const mapNode = defineNodeType({
  type: 'map',
  meta: mapMeta,
  configSchema: ZMapConfig,
  defaultConfig: () => ({ mappings: [] }),
  outputColumns: mapColumns,
  compile: compileMap,
});

import { defineNodeType } from '../types';
import { transformColumns } from './columns';
import { compileTransform } from './compile';
import { transformMeta } from './meta';
import { ZTransformConfig } from './schema';

export const transformNode = defineNodeType({
  type: 'transform',
  meta: transformMeta,
  configSchema: ZTransformConfig,
  defaultConfig: () => ({ columns: [] }),
  outputColumns: transformColumns,
  compile: compileTransform,
});

import { z } from 'zod';
import { CAST_TARGETS } from '../../compile/expr/ast';

export const ZDerivedColumn = z.object({
  name: z.string().min(1, 'name the column'),
  /** An expression of the language, e.g. sha256(lower(trim(email))). */
  expression: z.string(),
  /** Optional declared type: the result is converted with CAST when it differs. */
  type: z.enum(CAST_TARGETS).optional(),
});
export type TDerivedColumn = z.infer<typeof ZDerivedColumn>;

export const ZTransformConfig = z.object({
  /** Evaluated in order; a column may use the ones defined before it. */
  columns: z.array(ZDerivedColumn).default([]),
});
export type TTransformConfig = z.infer<typeof ZTransformConfig>;

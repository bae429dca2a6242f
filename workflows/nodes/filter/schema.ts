import { z } from 'zod';

/**
 * A typed value: plain JSON for text, numbers and booleans; dates and
 * timestamps are tagged so a date is never compared with text by accident;
 * { column } compares with another column.
 */
export const ZFilterValue = z.union([
  z.string(),
  z.number().finite(),
  z.boolean(),
  z.null(),
  z.object({ date: z.string() }).strict(),
  z.object({ timestamp: z.string() }).strict(),
  z.object({ column: z.string().min(1) }).strict(),
]);
export type TFilterValue = z.infer<typeof ZFilterValue>;

export const FILTER_OPERATORS = [
  'eq', 'neq', 'lt', 'lte', 'gt', 'gte', 'in', 'not_in', 'contains', 'starts_with', 'is_null', 'is_not_null', 'between', 'in_last_days',
] as const;
export type TFilterOperator = (typeof FILTER_OPERATORS)[number];

export const OPERATOR_LABELS: Record<TFilterOperator, string> = {
  eq: 'is',
  neq: 'is not',
  lt: 'less than',
  lte: 'at most',
  gt: 'greater than',
  gte: 'at least',
  in: 'is one of',
  not_in: 'is not one of',
  contains: 'contains',
  starts_with: 'starts with',
  is_null: 'is empty',
  is_not_null: 'is not empty',
  between: 'is between',
  in_last_days: 'in the last N days',
};

export const ZColumnCondition = z.object({
  column: z.string().min(1, 'pick a column'),
  operator: z.enum(FILTER_OPERATORS),
  /** eq, neq, lt, lte, gt, gte, contains, starts_with */
  value: ZFilterValue.optional(),
  /** in, not_in: the list; between: [low, high] */
  values: z.array(ZFilterValue).optional(),
  /** in_last_days */
  days: z.number().int().min(0).max(100_000).optional(),
});
export type TColumnCondition = z.infer<typeof ZColumnCondition>;

/** Escape hatch for power users: any boolean expression of the language. */
export const ZExpressionCondition = z.object({ expression: z.string() });
export type TExpressionCondition = z.infer<typeof ZExpressionCondition>;

export const ZCondition = z.union([ZColumnCondition, ZExpressionCondition]);
export type TCondition = z.infer<typeof ZCondition>;

export const ZConditionGroup = z.object({
  match: z.enum(['all', 'any']).default('all'),
  conditions: z.array(ZCondition).default([]),
});
export type TConditionGroup = z.infer<typeof ZConditionGroup>;

/** Groups combined with `match` (all = AND, any = OR); conditions within a group likewise. */
export const ZFilterConfig = z.object({
  match: z.enum(['all', 'any']).default('all'),
  groups: z.array(ZConditionGroup).default([]),
});
export type TFilterConfig = z.infer<typeof ZFilterConfig>;

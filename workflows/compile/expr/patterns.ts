/**
 * Accepted text forms of CAST(text AS …). The JS evaluator and every dialect
 * use these same patterns (POSIX-style, anchored); anything else becomes NULL.
 * Browser-safe.
 */
export const TEXT_PATTERNS = {
  /** Up to 15 digits, so every accepted integer is exact in JS as well. */
  integer: '^ *[-+]?[0-9]{1,15} *$',
  number: '^ *[-+]?([0-9]{1,20}([.][0-9]{0,20})?|[.][0-9]{1,20})([eE][-+]?[0-9]{1,2})? *$',
  date: '^[0-9]{4}-[0-9]{2}-[0-9]{2}$',
  timestamp: '^[0-9]{4}-[0-9]{2}-[0-9]{2}([ T][0-9]{2}:[0-9]{2}:[0-9]{2})?$',
} as const;

export const TRUE_WORDS = ['true', 't', 'yes', 'y', '1'];
export const FALSE_WORDS = ['false', 'f', 'no', 'n', '0'];

/**
 * Validation issues: every problem found in a graph, addressed to the node
 * (or edge) it is about, with a message that names the cause and the fix.
 * Shared by the canvas (badges on nodes), the validator, the compiler and the
 * router (publish returns every issue). Browser-safe.
 */
import { z } from 'zod';

export const ISSUE_CODES = [
  'malformed_graph',
  'unknown_node_type',
  'invalid_config',
  'duplicate_node_id',
  'dangling_edge',
  'invalid_edge',
  'cycle',
  'no_input',
  'too_many_inputs',
  'reaches_no_destination',
  'destination_without_map',
  'map_not_before_destination',
  'unknown_column',
  'type_mismatch',
  'missing_primary_key',
  'missing_match_key',
  'duplicate_output',
  'invalid_column_name',
  'expression_syntax',
  'required_field_unmapped',
  'unknown_destination_field',
  'read_only_field',
  'stale_destination_fields',
  'unknown_connection',
  'unsupported_mode',
  'unsupported_option',
  'sql_error',
  'sql_writes',
  'columns_unknown',
] as const;
export const ZIssueCode = z.enum(ISSUE_CODES);
export type TIssueCode = z.infer<typeof ZIssueCode>;

export const ZIssue = z.object({
  code: ZIssueCode,
  severity: z.enum(['error', 'warning']),
  message: z.string(),
  nodeId: z.string().optional(),
  edgeId: z.string().optional(),
  /** Where in the node's config, e.g. ['groups', 0, 'conditions', 1]. */
  path: z.array(z.union([z.string(), z.number()])).optional(),
  /** Character range in an expression (0-based, end exclusive). */
  position: z.object({ start: z.number().int(), end: z.number().int() }).optional(),
});
export type TIssue = z.infer<typeof ZIssue>;

export function issue(
  code: TIssueCode,
  message: string,
  at: { nodeId?: string; edgeId?: string; path?: (string | number)[]; position?: { start: number; end: number }; severity?: 'error' | 'warning' } = {},
): TIssue {
  const out: TIssue = { code, severity: at.severity ?? 'error', message };
  if (at.nodeId !== undefined) out.nodeId = at.nodeId;
  if (at.edgeId !== undefined) out.edgeId = at.edgeId;
  if (at.path !== undefined) out.path = at.path;
  if (at.position !== undefined) out.position = at.position;
  return out;
}

export function hasErrors(issues: TIssue[]): boolean {
  return issues.some((i) => i.severity === 'error');
}

import { z } from 'zod';

export const ZStartRunInput = z.object({
  pipelineId: z.string().min(1),
  /** Defaults to the latest published version. */
  versionId: z.string().min(1).optional(),
});
export type TStartRunInput = z.infer<typeof ZStartRunInput>;

export const ZListRunsInput = z.object({
  pipelineId: z.string().min(1).optional(),
  status: z.enum(['queued', 'running', 'paused', 'needs_confirmation', 'succeeded', 'partial', 'failed', 'cancelled']).optional(),
  limit: z.number().int().min(1).max(100).default(25),
  /** Run id to continue after (runs are newest first). */
  cursor: z.string().min(1).optional(),
});
export type TListRunsInput = z.infer<typeof ZListRunsInput>;

export const ZRunIdInput = z.object({ runId: z.string().min(1) });
export type TRunIdInput = z.infer<typeof ZRunIdInput>;

export const ZRowErrorsInput = z.object({
  runId: z.string().min(1),
  kind: z.enum(['rejected', 'exhausted', 'invalid', 'skipped']).optional(),
  limit: z.number().int().min(1).max(500).default(100),
  /** Error id to continue after. */
  cursor: z.string().regex(/^\d+$/).optional(),
});
export type TRowErrorsInput = z.infer<typeof ZRowErrorsInput>;

export const ZRecordInput = z.object({
  pipelineId: z.string().min(1),
  recordKey: z.string().min(1),
  /** A destination node; all of the pipeline's destinations when omitted. */
  nodeId: z.string().min(1).optional(),
});
export type TRecordInput = z.infer<typeof ZRecordInput>;

export const ZResetStateInput = z.object({
  pipelineId: z.string().min(1),
  /** A destination node; all of the pipeline's destinations when omitted. */
  nodeId: z.string().min(1).optional(),
});
export type TResetStateInput = z.infer<typeof ZResetStateInput>;

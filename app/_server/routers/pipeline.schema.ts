/** Inputs of the pipeline router (imported by the router, the canvas and the forms). */
import { z } from 'zod';
import { ZQuerySource } from '../../../workflows/nodes/query/schema';

export const ZPipelineName = z.string().trim().min(1, 'give the pipeline a name').max(120);

export const ZPipelineIdInput = z.object({ id: z.string().min(1) });
export type TPipelineIdInput = z.infer<typeof ZPipelineIdInput>;

export const ZCreatePipelineInput = z.object({
  name: ZPipelineName,
  description: z.string().trim().max(2000).optional(),
  /** A graph to start from; an empty graph otherwise. */
  graph: z.unknown().optional(),
});
export type TCreatePipelineInput = z.infer<typeof ZCreatePipelineInput>;

export const ZRenamePipelineInput = z.object({ id: z.string().min(1), name: ZPipelineName, description: z.string().trim().max(2000).nullish() });
export type TRenamePipelineInput = z.infer<typeof ZRenamePipelineInput>;

export const ZDuplicatePipelineInput = z.object({ id: z.string().min(1), name: ZPipelineName.optional() });
export type TDuplicatePipelineInput = z.infer<typeof ZDuplicatePipelineInput>;

export const ZSaveDraftInput = z.object({
  id: z.string().min(1),
  /** The graph JSON (workflows/graph format); node configs may be incomplete while editing. */
  graph: z.unknown(),
  /** The draftRevision this edit started from; a newer saved revision means someone else saved. */
  baseRevision: z.number().int().min(0),
});
export type TSaveDraftInput = z.infer<typeof ZSaveDraftInput>;

export const ZValidateInput = z.object({
  id: z.string().min(1),
  /** Validate this graph instead of the saved draft (editors only). */
  graph: z.unknown().optional(),
});
export type TValidateInput = z.infer<typeof ZValidateInput>;

export const ZPublishInput = z.object({ id: z.string().min(1), note: z.string().trim().max(500).optional() });
export type TPublishInput = z.infer<typeof ZPublishInput>;

export const ZVersionInput = z.object({ id: z.string().min(1), number: z.number().int().min(1) });
export type TVersionInput = z.infer<typeof ZVersionInput>;

export const ZPreviewInput = z.object({
  id: z.string().min(1),
  nodeId: z.string().min(1),
  limit: z.number().int().min(1).max(10_000).default(100),
  /** Preview this graph instead of the saved draft (editors only). */
  graph: z.unknown().optional(),
});
export type TPreviewInput = z.infer<typeof ZPreviewInput>;

export const ZExportInput = z.object({ id: z.string().min(1), version: z.number().int().min(1).optional() });
export type TExportInput = z.infer<typeof ZExportInput>;

export const ZImportInput = z.object({
  /** The exported document, as JSON text or as an object. */
  document: z.unknown(),
  /** Overrides the document's name (e.g. when the name is taken). */
  name: ZPipelineName.optional(),
});
export type TImportInput = z.infer<typeof ZImportInput>;

export const ZIntrospectInput = z.object({ connectionId: z.string().min(1), source: ZQuerySource });
export type TIntrospectInput = z.infer<typeof ZIntrospectInput>;

export const ZDestinationFieldsInput = z.object({ connectionId: z.string().min(1), object: z.string().min(1) });
export type TDestinationFieldsInput = z.infer<typeof ZDestinationFieldsInput>;

export const ZDbtModelsInput = z.object({ manifest: z.string().min(2).max(200_000_000) });
export type TDbtModelsInput = z.infer<typeof ZDbtModelsInput>;

export const ZDbtExposuresInput = z.object({ manifest: z.string().min(2).max(200_000_000).optional() }).default({});
export type TDbtExposuresInput = z.infer<typeof ZDbtExposuresInput>;

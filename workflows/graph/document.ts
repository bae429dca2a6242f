/**
 * The export/import document (config-as-code): a pipeline's name and
 * description with its graph. Versioned like the graph, so an older export can
 * be upgraded on import. Browser-safe.
 *
 *   { "format": "backflow.pipeline", "version": 1, "name": "…", "description": "…", "graph": { … } }
 */
import { z } from 'zod';
import { ZGraph } from './schema';

export const PIPELINE_DOCUMENT_FORMAT = 'backflow.pipeline';

export const ZPipelineDocument = z.object({
  format: z.literal(PIPELINE_DOCUMENT_FORMAT),
  version: z.literal(1),
  name: z.string().trim().min(1).max(120),
  description: z.string().max(2000).nullish(),
  graph: ZGraph,
});
export type TPipelineDocument = z.infer<typeof ZPipelineDocument>;

export type ParsedDocument = { ok: true; document: TPipelineDocument } | { ok: false; problems: string[] };

/** Accepts the document as JSON text or as a parsed object. */
export function parsePipelineDocument(input: unknown): ParsedDocument {
  let value = input;
  if (typeof input === 'string') {
    try {
      value = JSON.parse(input);
    } catch (err) {
      return { ok: false, problems: [`the document is not valid JSON (${err instanceof Error ? err.message : String(err)}) — fix: paste the file exported by Backflow`] };
    }
  }
  const parsed = ZPipelineDocument.safeParse(value);
  if (parsed.success) return { ok: true, document: parsed.data };
  return {
    ok: false,
    problems: parsed.error.issues.map((i) => `${i.path.map(String).join('.') || 'document'}: ${i.message}`),
  };
}

export function toDocument(p: { name: string; description: string | null; graph: z.infer<typeof ZGraph> }): TPipelineDocument {
  return { format: PIPELINE_DOCUMENT_FORMAT, version: 1, name: p.name, description: p.description, graph: p.graph };
}

/**
 * The run history's filters live in the query string (`?status=failed&pipeline=…`)
 * so a filtered list can be bookmarked and linked to, e.g. from the Overview.
 */
import { z } from 'zod';
import { ZRunStatus } from './status';

export const ZRunFilters = z.object({
  status: ZRunStatus.optional().catch(undefined),
  pipelineId: z.string().min(1).max(200).optional().catch(undefined),
});
export type TRunFilters = z.infer<typeof ZRunFilters>;

type ParamsLike = { get(name: string): string | null };

/** Unknown or malformed values are dropped rather than failing the page. */
export function parseRunFilters(params: ParamsLike): TRunFilters {
  return ZRunFilters.parse({
    status: params.get('status') ?? undefined,
    pipelineId: params.get('pipeline') ?? undefined,
  });
}

export function runsHref(filters: TRunFilters): string {
  const q = new URLSearchParams();
  if (filters.status) q.set('status', filters.status);
  if (filters.pipelineId) q.set('pipeline', filters.pipelineId);
  const s = q.toString();
  return s ? `/runs?${s}` : '/runs';
}

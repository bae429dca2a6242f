/** Types and small browser helpers the pipeline screens share. */
import type { inferRouterOutputs } from '@trpc/server';
import { TRPCClientError } from '@trpc/client';
import type { AppRouter } from '../../_server/root';

type Outputs = inferRouterOutputs<AppRouter>;
export type PipelineListItem = Outputs['pipeline']['list'][number];
export type PipelineDetail = Outputs['pipeline']['get'];
export type ConnectionView = Outputs['connection']['list'][number];
export type ConnectorInfo = Outputs['connection']['connectors'][number];
export type PreviewOutput = Outputs['pipeline']['preview'];
export type RunItem = Outputs['run']['list']['runs'][number];

/** Saves a value as a pretty JSON file through a temporary link. */
export function downloadJson(fileName: string, value: unknown): void {
  const blob = new Blob([`${JSON.stringify(value, null, 2)}\n`], { type: 'application/json' });
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = fileName;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

export function fileSafe(name: string): string {
  return name.replace(/[^\w.-]+/g, '-').replace(/^-+|-+$/g, '').toLowerCase() || 'pipeline';
}

export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

export function isConflict(err: unknown): boolean {
  return err instanceof TRPCClientError && err.data?.code === 'CONFLICT';
}

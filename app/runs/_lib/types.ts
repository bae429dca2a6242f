/** What the run router returns, as the screens use it (types only; inferred from the router). */
import type { inferRouterOutputs } from '@trpc/server';
import type { AppRouter } from '../../_server/root';

type Outputs = inferRouterOutputs<AppRouter>;
export type TRunListItem = Outputs['run']['list']['runs'][number];
export type TRunDetail = Outputs['run']['get'];
export type TRunTarget = TRunDetail['targets'][number];
export type TRowError = Outputs['run']['rowErrors']['errors'][number];
export type TRecordLookup = Outputs['run']['record'];
export type TRecordDestination = TRecordLookup['destinations'][number];

/**
 * Which run controls a member sees, from the run's status and their role. The
 * router enforces the same rules (roleProcedure + status checks); hiding a
 * button the server would refuse keeps the screen honest about what is possible.
 */
import { roleAtLeast, type TRole } from '../../_server/roles';
import { isActive } from './status';

export type TRunControl = 'pause' | 'resume' | 'cancel' | 'confirmDeletes' | 'skipDeletes' | 'retryFailed' | 'runAgain' | 'resetState';

/** The minimum role per control, as in app/_server/routers/run.ts. */
export const CONTROL_ROLE: Record<TRunControl, TRole> = {
  pause: 'operator',
  resume: 'operator',
  cancel: 'operator',
  confirmDeletes: 'editor',
  skipDeletes: 'operator',
  retryFailed: 'operator',
  runAgain: 'operator',
  resetState: 'editor',
};

export type TControlInput = {
  status: string;
  role: TRole | null;
  /** rejected + exhausted across the run's destinations. */
  failedRows: number;
  /** The workflow reports a pause request even before the run's stored status changes. */
  pauseRequested?: boolean;
};

export function availableControls({ status, role, failedRows, pauseRequested = false }: TControlInput): TRunControl[] {
  if (role === null) return [];
  const wanted: TRunControl[] = [];
  switch (status) {
    case 'queued':
      wanted.push('cancel');
      break;
    case 'running':
      wanted.push(pauseRequested ? 'resume' : 'pause', 'cancel');
      break;
    case 'paused':
      wanted.push('resume', 'cancel');
      break;
    case 'needs_confirmation':
      wanted.push('confirmDeletes', 'skipDeletes', 'cancel');
      break;
    default:
      if (!isActive(status)) {
        if (failedRows > 0) wanted.push('retryFailed');
        wanted.push('runAgain', 'resetState');
      }
  }
  return wanted.filter((c) => roleAtLeast(role, CONTROL_ROLE[c]));
}

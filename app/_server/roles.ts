/** Workspace roles, ordered: each role can do everything the ones before it can. */
import { z } from 'zod';

export const ROLES = ['viewer', 'operator', 'editor', 'admin'] as const;
export const ZRole = z.enum(ROLES);
export type TRole = z.infer<typeof ZRole>;

export function roleAtLeast(actual: TRole, required: TRole): boolean {
  return ROLES.indexOf(actual) >= ROLES.indexOf(required);
}

export const ROLE_DESCRIPTIONS: Record<TRole, string> = {
  viewer: 'sees pipelines, runs and connections',
  operator: 'also starts, pauses and cancels runs',
  editor: 'also builds pipelines and manages connections',
  admin: 'also manages members and workspace settings',
};

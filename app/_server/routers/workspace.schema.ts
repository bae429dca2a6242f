import { z } from 'zod';
import { ZRole } from '../roles';

export const ZAddMemberInput = z.object({
  email: z.email().transform((e) => e.toLowerCase()),
  name: z.string().trim().max(120).optional(),
  role: ZRole,
});
export type TAddMemberInput = z.infer<typeof ZAddMemberInput>;

export const ZSetRoleInput = z.object({ userId: z.string().min(1), role: ZRole });
export type TSetRoleInput = z.infer<typeof ZSetRoleInput>;

export const ZRemoveMemberInput = z.object({ userId: z.string().min(1) });
export type TRemoveMemberInput = z.infer<typeof ZRemoveMemberInput>;

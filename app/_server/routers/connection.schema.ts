import { z } from 'zod';

/** Raw form values; each connector's own schemas validate them in the router. */
const ZFormValues = z.record(z.string(), z.unknown());

export const ZConnectionIdInput = z.object({ id: z.string().min(1) });
export type TConnectionIdInput = z.infer<typeof ZConnectionIdInput>;

const ZName = z.string().trim().min(1, 'give the connection a name').max(120);

export const ZCreateConnectionInput = z.object({
  connector: z.string().min(1),
  name: ZName,
  config: ZFormValues.default({}),
  credentials: ZFormValues.default({}),
  /** Connections with the same account key share one rate-limit budget. */
  accountKey: z.string().trim().min(1).max(200).optional(),
});
export type TCreateConnectionInput = z.infer<typeof ZCreateConnectionInput>;

export const ZUpdateConnectionInput = z.object({
  id: z.string().min(1),
  name: ZName.optional(),
  /** The whole config (the form sends every field); omitted = unchanged. */
  config: ZFormValues.optional(),
  /** Only the credential fields to change: blank or missing fields keep their stored values. */
  credentials: ZFormValues.optional(),
  /** Credential fields to remove (an optional secret switched off). */
  clearCredentials: z.array(z.string().min(1)).default([]),
  accountKey: z.string().trim().max(200).nullable().optional(),
});
export type TUpdateConnectionInput = z.infer<typeof ZUpdateConnectionInput>;

export const ZListConnectionsInput = z
  .object({ kind: z.enum(['source', 'destination']).optional() })
  .default({});
export type TListConnectionsInput = z.infer<typeof ZListConnectionsInput>;

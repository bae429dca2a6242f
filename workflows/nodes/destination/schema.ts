import { z } from 'zod';
import { SYNC_MODES } from '../../../connectors/sdk/types';

export const ZDestinationConfig = z.object({
  connectionId: z.string().min(1, 'pick a destination connection'),
  /** The connection's connector slug, kept so validation knows its capabilities offline. */
  connector: z.string().optional(),
  object: z.string().min(1, 'pick the object to sync to (e.g. contacts)'),
  mode: z.enum(SYNC_MODES).default('upsert'),
  /** Per-sync options, validated by the connector's optionsSchema. */
  options: z.record(z.string(), z.unknown()).default({}),
});
export type TDestinationConfig = z.infer<typeof ZDestinationConfig>;

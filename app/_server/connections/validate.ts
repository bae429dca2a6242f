/**
 * Checking what a user typed into a connection form against the connector's
 * zod schemas, and merging edited credentials with the stored ones.
 */
import { z } from 'zod';
import type { AnyConnector, JsonValue } from '../../../connectors/sdk/types';

export const ZJsonValue: z.ZodType<JsonValue> = z.lazy(() =>
  z.union([z.string(), z.number(), z.boolean(), z.null(), z.array(ZJsonValue), z.record(z.string(), ZJsonValue)]),
);
const ZJsonObject = z.record(z.string(), ZJsonValue);

/** A parsed connector config as storable JSON (drops undefined, as JSON does). */
export function toJsonObject(value: unknown): Record<string, JsonValue> {
  return ZJsonObject.parse(JSON.parse(JSON.stringify(value ?? {})));
}

export type Checked = { ok: true; credentials: unknown; config: unknown } | { ok: false; error: z.ZodError; summary: string };

/**
 * Validates both halves at once so the form shows every problem in one round.
 * Issue paths stay as the schemas report them (top-level keys are the form's
 * field names, and config and credentials do not share names), so flattened
 * errors land on the right input; the summary spells out the half.
 */
export function checkConnectionInput(connector: AnyConnector, input: { credentials: unknown; config: unknown }): Checked {
  const credentials = connector.credentialsSchema.safeParse(input.credentials);
  const config = connector.configSchema.safeParse(input.config);
  if (credentials.success && config.success) return { ok: true, credentials: credentials.data, config: config.data };
  const configIssues = config.success ? [] : config.error.issues;
  const credentialIssues = credentials.success ? [] : credentials.error.issues;
  // Reuse a ZodError from a parse (a hand-made `new ZodError` is not an Error instance, and tRPC
  // would then wrap it, hiding it from the error formatter that flattens zod errors for the client).
  const error = config.success ? credentials.error! : config.error;
  if (!config.success && !credentials.success) error.issues.push(...credentialIssues);
  const summary = [
    ...configIssues.map((i) => `config.${i.path.join('.') || '(all)'}: ${i.message}`),
    ...credentialIssues.map((i) => `credentials.${i.path.join('.') || '(all)'}: ${i.message}`),
  ].join('; ');
  return { ok: false, error, summary };
}

/** Blank means "unchanged" in an edit form, where stored secrets are never shown. */
function isBlank(v: unknown): boolean {
  return v === undefined || v === null || v === '';
}

/**
 * Credentials after an edit: fields left blank keep their stored values,
 * fields listed in `clear` are removed, everything else replaces.
 */
export function mergeCredentials(
  stored: unknown,
  edited: Record<string, unknown> | undefined,
  opts: { clear?: string[]; discriminator?: string } = {},
): Record<string, unknown> {
  let base: Record<string, unknown> = stored && typeof stored === 'object' && !Array.isArray(stored) ? { ...stored } : {};
  // Switching between alternatives (say, token → OAuth) starts from nothing: no stale secrets carried over.
  const d = opts.discriminator;
  if (d && edited && !isBlank(edited[d]) && edited[d] !== base[d]) base = {};
  const clear = opts.clear ?? [];
  for (const [k, v] of Object.entries(edited ?? {})) if (!isBlank(v)) base[k] = v;
  for (const k of clear) delete base[k];
  return base;
}

/** Which credential fields hold a value: `{ apiKey: true }`. Never the values. */
export function credentialsSet(credentials: unknown): Record<string, boolean> {
  const out: Record<string, boolean> = {};
  if (credentials && typeof credentials === 'object' && !Array.isArray(credentials)) {
    for (const [k, v] of Object.entries(credentials)) out[k] = !isBlank(v);
  }
  return out;
}

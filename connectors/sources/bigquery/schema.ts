import { z } from 'zod';

/** The JSON key of a Google Cloud service account (IAM → Service accounts → Keys → Add key → JSON). */
export const ZServiceAccountKey = z.object({
  type: z.literal('service_account'),
  project_id: z.string().min(1),
  private_key_id: z.string().min(1),
  private_key: z.string().regex(/-----BEGIN PRIVATE KEY-----/, 'the key file\'s private_key must be a PEM private key'),
  client_email: z.email(),
  /** Where the key is exchanged for an access token; Google's keys say https://oauth2.googleapis.com/token. */
  token_uri: z.url().default('https://oauth2.googleapis.com/token'),
});
export type TServiceAccountKey = z.infer<typeof ZServiceAccountKey>;

/** The key file's text, parsed and checked. */
export const ZServiceAccountKeyText = z
  .string()
  .transform((text, ctx) => {
    try {
      const parsed: unknown = JSON.parse(text);
      return parsed;
    } catch {
      ctx.addIssue({ code: 'custom', message: 'not JSON — paste the whole key file' });
      return z.NEVER;
    }
  })
  .pipe(ZServiceAccountKey);

/**
 * Secrets only: the service-account key, as the JSON file's text (a string, so
 * that forms treat it as a secret).
 */
export const ZBigQueryCredentials = z
  .object({
    serviceAccountKey: z
      .string()
      .min(1)
      .refine((text) => ZServiceAccountKeyText.safeParse(text).success, 'paste the whole JSON key file of a service account (type service_account, with private_key and client_email)'),
  })
  .strict();
export type TBigQueryCredentials = z.infer<typeof ZBigQueryCredentials>;

export const ZBigQueryConfig = z.object({
  /** The project that runs (and pays for) the query jobs; the key's project when omitted. */
  projectId: z
    .string()
    .regex(/^[a-z][a-z0-9.:-]{3,}$/, 'use the project id, e.g. my-project-123')
    .optional(),
  /** Where the datasets live: US, EU, or a region such as europe-west1. */
  location: z.string().regex(/^[A-Za-z0-9-]+$/).default('US'),
  /** Datasets listed by discover(); every dataset of the location when empty. */
  datasets: z.array(z.string().regex(/^[A-Za-z0-9_]+$/, 'dataset names use letters, digits and _')).default([]),
  /** Jobs that would bill more bytes fail instead of running (a cost guard). */
  maximumBytesBilled: z.string().regex(/^\d+$/, 'a whole number of bytes').optional(),
  /** Job timeout for read() when the caller does not pass one. */
  statementTimeoutSeconds: z.number().int().min(1).max(6 * 3600).default(300),
  /** Overrides https://bigquery.googleapis.com — for a proxy, or the test sandbox. */
  apiEndpoint: z.url().optional(),
});
export type TBigQueryConfig = z.infer<typeof ZBigQueryConfig>;

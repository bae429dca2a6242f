/**
 * Credentials at rest: AES-256-GCM under BACKFLOW_ENCRYPTION_KEY.
 * Format: base64( version(1) | iv(12) | tag(16) | ciphertext ). The connection id
 * is bound as additional authenticated data, so a ciphertext copied onto another
 * connection does not decrypt.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { requireSecrets } from './env';

const VERSION = 1;
const IV_BYTES = 12;
const TAG_BYTES = 16;

export class DecryptError extends Error {}

export function encryptJson(value: unknown, aad: string, key: Buffer = requireSecrets().encryptionKey): string {
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(Buffer.from(aad, 'utf8'));
  const ciphertext = Buffer.concat([cipher.update(JSON.stringify(value), 'utf8'), cipher.final()]);
  return Buffer.concat([Buffer.from([VERSION]), iv, cipher.getAuthTag(), ciphertext]).toString('base64');
}

export function decryptJson(blob: string, aad: string, key: Buffer = requireSecrets().encryptionKey): unknown {
  const buf = Buffer.from(blob, 'base64');
  if (buf.length < 1 + IV_BYTES + TAG_BYTES || buf[0] !== VERSION) throw new DecryptError('credentials are not in a known encrypted format');
  const iv = buf.subarray(1, 1 + IV_BYTES);
  const tag = buf.subarray(1 + IV_BYTES, 1 + IV_BYTES + TAG_BYTES);
  const decipher = createDecipheriv('aes-256-gcm', key, iv);
  decipher.setAAD(Buffer.from(aad, 'utf8'));
  decipher.setAuthTag(tag);
  try {
    const plain = Buffer.concat([decipher.update(buf.subarray(1 + IV_BYTES + TAG_BYTES)), decipher.final()]);
    return JSON.parse(plain.toString('utf8'));
  } catch {
    throw new DecryptError(
      'stored credentials could not be decrypted — fix: BACKFLOW_ENCRYPTION_KEY changed since they were saved; restore it, or re-enter the credentials',
    );
  }
}

/**
 * Customer-file keys of Meta Custom Audiences, and their normalisation and
 * hashing per Meta's "Hashing and Normalizing Data" rules
 * (https://developers.facebook.com/docs/marketing-api/audiences/guides/custom-audiences#hash):
 *
 *   EMAIL    trim, lower-case                        PHONE  digits only, no leading zeros, with country code
 *   FN, LN   lower-case, no punctuation (UTF-8 kept)  FI     first letter of the first name
 *   CT       lower-case letters only, no spaces      ST     US: 2-letter code; elsewhere like CT
 *   ZIP      lower-case, no spaces; US: 5 digits; UK: area/district/sector
 *   COUNTRY  ISO 3166-1 alpha-2, lower-case          GEN    m or f
 *   DOBY     YYYY   DOBM  MM   DOBD  DD
 *   MADID    lower-case, hyphens kept, NOT hashed     EXTERN_ID  as given, NOT hashed
 *
 * Everything but MADID and EXTERN_ID is then SHA-256 hashed (lower-case hex).
 * A value that already is a SHA-256 hex digest is passed through, so
 * pre-hashed warehouse columns work too. A value that cannot be normalised
 * becomes '' (Meta's "no value") rather than a hash of garbage.
 */
import { createHash } from 'node:crypto';

export const META_KEYS = [
  { key: 'EMAIL', label: 'Email', hashed: true, identity: true },
  { key: 'PHONE', label: 'Phone (with country code)', hashed: true, identity: true },
  { key: 'FN', label: 'First name', hashed: true, identity: false },
  { key: 'LN', label: 'Last name', hashed: true, identity: false },
  { key: 'FI', label: 'First initial', hashed: true, identity: false },
  { key: 'GEN', label: 'Gender (m/f)', hashed: true, identity: false },
  { key: 'DOBY', label: 'Birth year (YYYY)', hashed: true, identity: false },
  { key: 'DOBM', label: 'Birth month (MM)', hashed: true, identity: false },
  { key: 'DOBD', label: 'Birth day (DD)', hashed: true, identity: false },
  { key: 'CT', label: 'City', hashed: true, identity: false },
  { key: 'ST', label: 'State or province', hashed: true, identity: false },
  { key: 'ZIP', label: 'Postal code', hashed: true, identity: false },
  { key: 'COUNTRY', label: 'Country (ISO 3166-1 alpha-2)', hashed: true, identity: false },
  { key: 'MADID', label: 'Mobile advertiser ID', hashed: false, identity: true },
  { key: 'EXTERN_ID', label: 'External ID', hashed: false, identity: true },
] as const;

export type MetaKey = (typeof META_KEYS)[number]['key'];
const KEY_SET = new Set<string>(META_KEYS.map((k) => k.key));

export function isMetaKey(name: string): name is MetaKey {
  return KEY_SET.has(name);
}

export type NormalizeOptions = {
  /** Calling code (e.g. "44") for phone numbers written without one. */
  phoneCountryCode?: string;
};

export function sha256(value: string): string {
  return createHash('sha256').update(value, 'utf8').digest('hex');
}

export function isSha256Hex(value: string): boolean {
  return /^[0-9a-f]{64}$/.test(value);
}

const US_STATES: Record<string, string> = {
  alabama: 'al', alaska: 'ak', arizona: 'az', arkansas: 'ar', california: 'ca', colorado: 'co', connecticut: 'ct', delaware: 'de',
  districtofcolumbia: 'dc', florida: 'fl', georgia: 'ga', hawaii: 'hi', idaho: 'id', illinois: 'il', indiana: 'in', iowa: 'ia', kansas: 'ks',
  kentucky: 'ky', louisiana: 'la', maine: 'me', maryland: 'md', massachusetts: 'ma', michigan: 'mi', minnesota: 'mn', mississippi: 'ms',
  missouri: 'mo', montana: 'mt', nebraska: 'ne', nevada: 'nv', newhampshire: 'nh', newjersey: 'nj', newmexico: 'nm', newyork: 'ny',
  northcarolina: 'nc', northdakota: 'nd', ohio: 'oh', oklahoma: 'ok', oregon: 'or', pennsylvania: 'pa', rhodeisland: 'ri',
  southcarolina: 'sc', southdakota: 'sd', tennessee: 'tn', texas: 'tx', utah: 'ut', vermont: 'vt', virginia: 'va', washington: 'wa',
  westvirginia: 'wv', wisconsin: 'wi', wyoming: 'wy',
};

/** Common spellings that are not alpha-2 codes. */
const COUNTRY_ALIASES: Record<string, string> = { usa: 'us', unitedstates: 'us', uk: 'gb', unitedkingdom: 'gb', greatbritain: 'gb', deutschland: 'de', germany: 'de', france: 'fr' };

const lower = (v: string) => v.normalize('NFC').trim().toLowerCase();
/** Letters of any script only: no digits, punctuation, symbols or spaces. */
const lettersOnly = (v: string) => lower(v).replace(/[^\p{L}]/gu, '');

function email(v: string): string {
  const s = lower(v);
  return /^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(s) ? s : '';
}

function phone(v: string, opts: NormalizeOptions): string {
  const s = v.trim();
  const international = s.startsWith('+') || s.startsWith('00');
  let digits = s.replace(/\D/g, '').replace(/^0+/, '');
  if (!international && opts.phoneCountryCode) digits = `${opts.phoneCountryCode}${digits}`;
  // E.164 numbers have at most 15 digits; fewer than 7 cannot carry a country code.
  return digits.length >= 7 && digits.length <= 15 ? digits : '';
}

function name(v: string): string {
  return lower(v).replace(/[\p{P}\p{S}\s]/gu, '');
}

function gender(v: string): string {
  const s = lower(v);
  if (s === 'm' || s === 'male') return 'm';
  if (s === 'f' || s === 'female') return 'f';
  return '';
}

/** A date part from "YYYY-MM-DD…" or from the bare number. */
function datePart(v: string, part: 'y' | 'm' | 'd'): string {
  const s = v.trim();
  const iso = /^(\d{4})-(\d{1,2})-(\d{1,2})/.exec(s);
  const raw = iso ? iso[part === 'y' ? 1 : part === 'm' ? 2 : 3]! : s;
  if (!/^\d+$/.test(raw)) return '';
  const n = Number(raw);
  if (part === 'y') return raw.length === 4 && n >= 1900 && n <= new Date().getUTCFullYear() ? raw : '';
  const max = part === 'm' ? 12 : 31;
  return n >= 1 && n <= max ? String(n).padStart(2, '0') : '';
}

function state(v: string): string {
  const s = lettersOnly(v);
  return US_STATES[s] ?? s;
}

function zip(v: string): string {
  const s = lower(v).replace(/\s+/g, '');
  const us = /^(\d{5})(-?\d{4})?$/.exec(s);
  if (us) return us[1]!;
  const uk = /^([a-z]{1,2}\d[a-z\d]?)(\d)[a-z]{2}$/.exec(s);
  if (uk) return `${uk[1]}${uk[2]}`;
  return s;
}

function country(v: string): string {
  const s = lettersOnly(v);
  const code = COUNTRY_ALIASES[s] ?? s;
  return /^[a-z]{2}$/.test(code) ? code : '';
}

/** The normalised, not yet hashed, value; '' when the input cannot be used. */
export function normalize(key: MetaKey, value: unknown, opts: NormalizeOptions = {}): string {
  if (value === null || value === undefined) return '';
  const v = typeof value === 'string' ? value : typeof value === 'number' || typeof value === 'boolean' ? String(value) : '';
  if (!v.trim()) return '';
  switch (key) {
    case 'EMAIL':
      return email(v);
    case 'PHONE':
      return phone(v, opts);
    case 'FN':
    case 'LN':
      return name(v);
    case 'FI':
      return [...name(v)][0] ?? '';
    case 'GEN':
      return gender(v);
    case 'DOBY':
      return datePart(v, 'y');
    case 'DOBM':
      return datePart(v, 'm');
    case 'DOBD':
      return datePart(v, 'd');
    case 'CT':
      return lettersOnly(v);
    case 'ST':
      return state(v);
    case 'ZIP':
      return zip(v);
    case 'COUNTRY':
      return country(v);
    case 'MADID':
      return lower(v);
    case 'EXTERN_ID':
      return v.trim();
  }
}

/** What goes into the payload: normalised then hashed (or passed through when already hashed). */
export function payloadValue(key: MetaKey, value: unknown, opts: NormalizeOptions = {}): string {
  const def = META_KEYS.find((k) => k.key === key)!;
  if (def.hashed && typeof value === 'string' && isSha256Hex(value.trim().toLowerCase())) return value.trim().toLowerCase();
  const normalized = normalize(key, value, opts);
  if (!normalized) return '';
  return def.hashed ? sha256(normalized) : normalized;
}

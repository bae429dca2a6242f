/**
 * Exact decimal helpers behind round() and number → text in the JS evaluator.
 * A number is taken as the decimal it prints as (its shortest round-trip
 * form, e.g. 2.675 rather than 2.67499999…), which is also what the SQL side
 * does (CAST(x AS text) → numeric). Rounding is half away from zero.
 */

/** value = sign * digits / 10^scale */
export type Dec = { neg: boolean; digits: bigint; scale: number };

export function decFromNumber(x: number): Dec {
  if (!Number.isFinite(x)) throw new Error(`cannot take the decimal of ${x}`);
  const s = String(x);
  const m = /^(-?)(\d+)(?:\.(\d+))?(?:e([-+]\d+))?$/.exec(s);
  if (!m) throw new Error(`unexpected number format ${s}`);
  const frac = m[3] ?? '';
  const exp = Number(m[4] ?? 0);
  let digits = BigInt(`${m[2]}${frac}`);
  let scale = frac.length - exp;
  if (scale < 0) {
    digits *= 10n ** BigInt(-scale);
    scale = 0;
  }
  return { neg: m[1] === '-' && digits !== 0n, digits, scale };
}

/** Rounds to `d` fractional digits, half away from zero. */
export function decRound(x: Dec, d: number): Dec {
  if (x.scale <= d) return { ...x, digits: x.digits * 10n ** BigInt(d - x.scale), scale: d };
  const div = 10n ** BigInt(x.scale - d);
  let q = x.digits / div;
  const r = x.digits % div;
  if (r * 2n >= div) q += 1n;
  return { neg: x.neg && q !== 0n, digits: q, scale: d };
}

export function decToString(x: Dec, trim = true): string {
  let s = x.digits.toString();
  if (x.scale > 0) {
    s = s.padStart(x.scale + 1, '0');
    s = `${s.slice(0, s.length - x.scale)}.${s.slice(s.length - x.scale)}`;
    if (trim) s = s.replace(/0+$/, '').replace(/\.$/, '');
  }
  return x.neg && s !== '0' ? `-${s}` : s;
}

export function decToNumber(x: Dec): number {
  const n = Number(decToString(x));
  return n === 0 ? 0 : n;
}

/** round(x, d) of the language. */
export function roundHalfAway(x: number, d: number): number {
  return decToNumber(decRound(decFromNumber(x), d));
}

/** CAST(number AS string): at most 10 decimals, no exponent, no trailing zeros. */
export function formatNumber(x: number): string {
  return decToString(decRound(decFromNumber(x), 10));
}

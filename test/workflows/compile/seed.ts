/**
 * The property test's seed: BF_PROPERTY_SEED when given (to replay a failure),
 * else a fresh one. Test-only knob, so it is read here rather than in app/_server/env.ts.
 */
export function propertySeed(): number {
  const fromEnv = Number(process.env.BF_PROPERTY_SEED);
  return Number.isInteger(fromEnv) && fromEnv > 0 ? fromEnv : Math.floor(Math.random() * 2 ** 31) + 1;
}

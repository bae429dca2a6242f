/** Console output for scripts: a step marker, and the one-line fatal error. */
export function step(message: string): void {
  console.log(`▸ ${message}`);
}

export function info(message: string): void {
  console.log(`  ${message}`);
}

/** Prints one line naming the cause and the fix, and exits non-zero. */
export function fail(message: string, code = 1): never {
  console.error(`✖ ${message}`);
  process.exit(code);
}

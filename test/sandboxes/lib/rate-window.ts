/**
 * Sandbox-side rate limiting: at most `limit` requests per `windowMs` (sliding
 * window), as APIs document their limits ("100 requests per 10 seconds").
 */
export class RateWindow {
  private hits: number[] = [];
  constructor(
    readonly limit: number,
    readonly windowMs: number,
  ) {}

  /** Records a hit and returns null, or returns the ms until a slot frees up. */
  hit(now = Date.now()): number | null {
    this.hits = this.hits.filter((t) => now - t < this.windowMs);
    if (this.hits.length >= this.limit) return this.windowMs - (now - this.hits[0]!);
    this.hits.push(now);
    return null;
  }

  remaining(now = Date.now()): number {
    this.hits = this.hits.filter((t) => now - t < this.windowMs);
    return Math.max(0, this.limit - this.hits.length);
  }

  reset(): void {
    this.hits = [];
  }
}

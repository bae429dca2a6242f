/**
 * A cursor over a stream that arrives in batches (query results, COPY
 * output): items come one at a time, and a promise only when a batch runs
 * out. A merge of a million rows awaits a few hundred times, not a million.
 */
export class Cursor<T> {
  private buf: readonly T[] = [];
  private i = 0;
  private done = false;
  constructor(private readonly it: AsyncIterator<readonly T[]>) {}

  /** The next item; null at the end. */
  next(): T | null | Promise<T | null> {
    if (this.i < this.buf.length) return this.buf[this.i++]!;
    return this.refill();
  }

  /** Ends the underlying stream early (releases its connection). */
  async close(): Promise<void> {
    if (!this.done) {
      this.done = true;
      await this.it.return?.();
    }
  }

  private async refill(): Promise<T | null> {
    while (this.i >= this.buf.length) {
      if (this.done) return null;
      const r = await this.it.next();
      if (r.done) {
        this.done = true;
        return null;
      }
      this.buf = r.value;
      this.i = 0;
    }
    return this.buf[this.i++]!;
  }
}

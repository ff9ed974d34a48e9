// What the probe counts while a stream arrives, and the numbers it reports: one small pure module (no I/O, no
// clock), so the accounting of loss, reordering, duplicates and percentiles is tested on its own.

/** Latency percentiles in milliseconds (nearest rank); negative when the server's clock is ahead. */
export interface Percentiles {
  readonly min: number;
  readonly p50: number;
  readonly p90: number;
  readonly p99: number;
  readonly max: number;
}

/** The accounting of one run: what arrived, in which order, and what is missing. */
export interface Accounting {
  /** Messages received (stamped or not, duplicates included). */
  readonly received: number;
  /** Payload bytes of every message received. */
  readonly bytes: number;
  /** Messages that carried no stamp (not JSON with numeric seq and sent): counted, not measured. */
  readonly unstamped: number;
  /** The expected message count (from the URL's count or --count), null when unknown. */
  readonly expected: number | null;
  /** Lowest and highest sequence numbers seen (null when no stamp arrived). */
  readonly firstSeq: number | null;
  readonly lastSeq: number | null;
  /** Sequence numbers never seen from the first seen one to the expected last (else the highest seen). */
  readonly loss: number;
  /** Arrivals (first of their sequence number) with a number lower than one already seen. */
  readonly reordered: number;
  /** Arrivals of a sequence number already seen. */
  readonly duplicates: number;
  /** Arrival wall time minus the stamp's `sent`, over every stamped arrival; null when none. */
  readonly latencyMs: Percentiles | null;
}

/**
 * The value at percentile p (0 < p <= 100) of an ascending array, by nearest rank (the smallest value with at
 * least p% of the values at or below it): no interpolation, so every reported figure is one that was measured.
 */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) throw new RangeError('percentile of no values');
  if (!(p > 0 && p <= 100)) throw new RangeError(`percentile ${p} is outside (0, 100]`);
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(rank, sorted.length) - 1];
}

/** min/p50/p90/p99/max of the values (any order), or null for none. */
export function percentiles(values: readonly number[]): Percentiles | null {
  if (values.length === 0) return null;
  const sorted = Float64Array.from(values).sort();
  const list = Array.from(sorted);
  return { min: list[0], p50: percentile(list, 50), p90: percentile(list, 90), p99: percentile(list, 99), max: list[list.length - 1] };
}

/** Counts a stream's arrivals; `summary(expected)` gives the Accounting. */
export class Tally {
  private count = 0;
  private byteCount = 0;
  private unstampedCount = 0;
  private reorders = 0;
  private dups = 0;
  private lowest = Infinity;
  private highest = -Infinity;
  private readonly seen = new Set<number>();
  private readonly latencies: number[] = [];
  /** Events counted since the last markRead(), and the largest such count: the SSE "bursts". */
  private inRead = 0;
  private biggestRead = 0;

  /** A stamped message: its sequence number, the server's send time and our arrival time (epoch ms). */
  stamped(seq: number, sentMs: number, arrivedMs: number, bytes: number): void {
    this.count++;
    this.byteCount += bytes;
    this.inRead++;
    this.latencies.push(arrivedMs - sentMs);
    if (this.seen.has(seq)) {
      this.dups++;
      return;
    }
    if (seq < this.highest) this.reorders++;
    this.seen.add(seq);
    if (seq < this.lowest) this.lowest = seq;
    if (seq > this.highest) this.highest = seq;
  }

  /** A message without a stamp. */
  unstamped(bytes: number): void {
    this.count++;
    this.byteCount += bytes;
    this.unstampedCount++;
    this.inRead++;
  }

  /** One read (a chunk of the response) was fully parsed: its message count may be the largest burst. */
  markRead(): void {
    if (this.inRead > this.biggestRead) this.biggestRead = this.inRead;
    this.inRead = 0;
  }

  /** The largest number of messages that arrived in one read (call markRead after each read). */
  get bursts(): number {
    return Math.max(this.biggestRead, this.inRead);
  }

  /** Messages received so far. */
  get received(): number {
    return this.count;
  }

  /** The accounting against `expected` messages (seq 1..expected), or against the highest seen when null. */
  summary(expected: number | null): Accounting {
    const any = this.seen.size > 0;
    let lost = 0;
    if (any) {
      const last = expected ?? this.highest;
      // Only numbers inside [first seen, expected last] count: seen numbers above `expected` are not losses.
      let inside = 0;
      for (const s of this.seen) if (s >= this.lowest && s <= last) inside++;
      lost = Math.max(0, last - this.lowest + 1 - inside);
    } else if (expected !== null) {
      lost = expected;
    }
    return {
      received: this.count,
      bytes: this.byteCount,
      unstamped: this.unstampedCount,
      expected,
      firstSeq: any ? this.lowest : null,
      lastSeq: any ? this.highest : null,
      loss: lost,
      reordered: this.reorders,
      duplicates: this.dups,
      latencyMs: percentiles(this.latencies),
    };
  }
}

// A rate limit for repeated error lines: a request that trips a bug, sent in a loop, must not flood the log
// (each handler error is a line with its stack). Lines over the budget are counted; the next line let through
// says how many were left out.

/** At most `perSecond` lines in any one-second window; the rest dropped and counted. */
export class LogBudget {
  private windowStart = Number.NEGATIVE_INFINITY;
  private used = 0;
  private dropped = 0;

  constructor(private readonly perSecond: number, private readonly now: () => number = Date.now) {}

  /** Whether this line may go out: -1 drops it; otherwise the lines dropped since the last one let through. */
  take(): number {
    const t = this.now();
    if (t - this.windowStart >= 1000) {
      this.windowStart = t;
      this.used = 0;
    }
    if (this.used >= this.perSecond) {
      this.dropped++;
      return -1;
    }
    this.used++;
    const d = this.dropped;
    this.dropped = 0;
    return d;
  }
}

// The live /json/valid and /json/invalid bodies: `{"time": "<Go time.String()>"}` kept in preallocated
// Buffers whose digits are rewritten in place when the millisecond changes, never rebuilt per request.
import { performance } from 'node:perf_hooks';
import { ownBytes } from './head.js';

const ValidPrefix = Buffer.from('{"time": "');
const InvalidPrefix = Buffer.from('{time": "');
const Suffix = Buffer.from('"}');
// "2026-11-21 22:32:01.140156640 +0000 UTC m=+" is fixed width; the monotonic seconds that follow grow.
const ZoneAndMono = Buffer.from(' +0000 UTC m=+');
const FixedLen = 29 + ZoneAndMono.length; // date(10) + space + hh:mm:ss(8) + '.' + 9 digits = 29
const MsPerDay = 86_400_000;
// Requests per timer period that still read the clock themselves. Light traffic (a test, a probe) then
// always sees the time it was answered at, even when the timer runs late on a busy machine; heavy traffic
// (hundreds of requests per millisecond) pays for this many reads per millisecond, not one per request.
const ReadsPerTick = 4;
// Read once: the getter validates and crosses into C++ on every access.
const TimeOrigin = performance.timeOrigin;

/**
 * Per-thread clock bodies; `valid` and `invalid` hold the current time after refresh().
 *
 * Reading the clock costs more than anything else on the /json/valid path (Date.now() measured ~7 % of
 * pipelined throughput), so under heavy traffic the clock is read by a 1 ms timer, not per request: the
 * first request after a quiet millisecond reads it directly and starts the timer; while it runs, the first
 * ReadsPerTick requests of each period still read it and later ones only mark the bodies as used; the timer
 * stops after a millisecond nobody asked. Under load a body is at most about one timer period old; an idle
 * worker sets no timer at all.
 */
export class GoTimeBodies {
  valid: Buffer = Buffer.alloc(0);
  invalid: Buffer = Buffer.alloc(0);
  /** The same bytes as valid/invalid, as the whole ArrayBuffers under them: what the hot path hands uWS. */
  validBytes = new ArrayBuffer(0);
  invalidBytes = new ArrayBuffer(0);
  /** Their lengths, kept as numbers for the hot path (see sendBody). */
  validLength = 0;
  invalidLength = 0;
  private lastMs = -1;
  private lastSecond = -1;
  private monoDigits = 0;
  private readonly startMs: number;
  /** Whether the timer is armed (then refresh() only sets `used`). */
  private ticking = false;
  private used = false;
  /** Clock reads left to requests in this timer period. */
  private reads = 0;
  // One Timeout for the life of the worker, re-armed with refresh(): no allocation per start.
  private readonly timer: NodeJS.Timeout;

  /** startMs: wall-clock epoch ms the process started (Go's m=+ counts from there). */
  constructor(startMs: number) {
    this.startMs = startMs;
    this.update(Date.now());
    this.timer = setTimeout(() => this.tick(), 1);
    // Never keeps a worker alive, and starts disarmed: it fires once now and finds nobody asked.
    this.timer.unref();
  }

  /** Make the bodies current: a flag store while the timer runs, else one clock read that starts it. */
  refresh(): void {
    if (this.ticking) {
      this.used = true;
      if (this.reads > 0) {
        this.reads--;
        this.update(Date.now());
      }
      return;
    }
    this.update(Date.now());
    this.ticking = true;
    this.used = false;
    this.reads = ReadsPerTick - 1;
    this.timer.refresh();
  }

  /** Whether the 1 ms timer is running (traffic in the last millisecond). */
  get running(): boolean {
    return this.ticking;
  }

  /** The timer's turn (called by it; public so tests can drive it): follow the clock or stop when unused. */
  tick(): void {
    if (!this.used) {
      this.ticking = false;
      return;
    }
    this.used = false;
    this.reads = ReadsPerTick;
    this.update(Date.now());
    this.timer.refresh();
  }

  // Rewrite the digits if the wall clock has moved to a new millisecond; otherwise a compare.
  private update(ms: number): void {
    if (ms === this.lastMs) return;
    this.lastMs = ms;
    // timeOrigin + now() is wall time with sub-ms precision; clamp it into the millisecond Date.now() saw.
    let now = TimeOrigin + performance.now();
    if (now < ms || now >= ms + 1) now = ms;
    const monoSec = Math.max(0, Math.floor((now - this.startMs) / 1000));
    const digits = monoSec < 10 ? 1 : Math.floor(Math.log10(monoSec)) + 1;
    if (digits !== this.monoDigits) this.allocate(digits);
    const second = Math.floor(ms / 1000);
    if (second !== this.lastSecond) {
      this.lastSecond = second;
      this.writeDateTime(this.valid, ValidPrefix.length, second);
      this.writeDateTime(this.invalid, InvalidPrefix.length, second);
    }
    const nanos = Math.floor((now - second * 1000) * 1e6);
    const mono = Math.max(0, now - this.startMs);
    const monoNanos = Math.floor((mono - monoSec * 1000) * 1e6);
    this.writeFraction(this.valid, ValidPrefix.length, nanos, monoSec, monoNanos);
    this.writeFraction(this.invalid, InvalidPrefix.length, nanos, monoSec, monoNanos);
  }

  /** The current time text alone (for templates; allocates, so not for the hot path). */
  timeText(): string {
    return this.valid.toString('latin1', ValidPrefix.length, this.valid.length - Suffix.length);
  }

  // Only when the monotonic seconds gain a digit (at 10 s, 100 s, ...), so allocation here is rare.
  private allocate(monoDigits: number): void {
    this.monoDigits = monoDigits;
    this.valid = frame(ValidPrefix, monoDigits);
    this.invalid = frame(InvalidPrefix, monoDigits);
    this.validBytes = this.valid.buffer as ArrayBuffer;
    this.invalidBytes = this.invalid.buffer as ArrayBuffer;
    this.validLength = this.valid.length;
    this.invalidLength = this.invalid.length;
    this.lastSecond = -1;
  }

  private writeDateTime(buf: Buffer, at: number, second: number): void {
    const days = Math.floor((second * 1000) / MsPerDay);
    const secOfDay = second - days * 86_400;
    // Civil date from days since 1970-01-01 (H. Hinnant's algorithm): no Date object per refresh.
    const z = days + 719_468;
    const era = Math.floor(z / 146_097);
    const doe = z - era * 146_097;
    const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36_524) - Math.floor(doe / 146_096)) / 365);
    const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
    const mp = Math.floor((5 * doy + 2) / 153);
    const day = doy - Math.floor((153 * mp + 2) / 5) + 1;
    const month = mp < 10 ? mp + 3 : mp - 9;
    const year = yoe + era * 400 + (month <= 2 ? 1 : 0);
    digitsAt(buf, at, year, 4);
    digitsAt(buf, at + 5, month, 2);
    digitsAt(buf, at + 8, day, 2);
    digitsAt(buf, at + 11, Math.floor(secOfDay / 3600), 2);
    digitsAt(buf, at + 14, Math.floor((secOfDay % 3600) / 60), 2);
    digitsAt(buf, at + 17, secOfDay % 60, 2);
  }

  private writeFraction(buf: Buffer, at: number, nanos: number, monoSec: number, monoNanos: number): void {
    digitsAt(buf, at + 20, nanos, 9);
    const m = at + FixedLen;
    digitsAt(buf, m, monoSec, this.monoDigits);
    digitsAt(buf, m + this.monoDigits + 1, monoNanos, 9);
  }
}

// A Buffer that spans its own ArrayBuffer exactly (not a slice of Node's pool), so `.buffer` is the body.
function frame(prefix: Buffer, monoDigits: number): Buffer {
  const template = `0000-00-00 00:00:00.000000000${ZoneAndMono.toString()}${'0'.repeat(monoDigits)}.000000000`;
  return Buffer.from(ownBytes(Buffer.concat([prefix, Buffer.from(template), Suffix])));
}

/** Write n as exactly `width` zero-padded decimal digits at buf[at]. */
function digitsAt(buf: Buffer, at: number, n: number, width: number): void {
  for (let i = at + width - 1; i >= at; i--) {
    buf[i] = 48 + (n % 10);
    n = Math.floor(n / 10);
  }
}

import { randomInt } from 'node:crypto';

const TWO_POW_32 = 4294967296;
// crypto.randomInt needs max - min below 2^48.
const RANDOM_SEED_LIMIT = 2 ** 48 - 1;
// Each jump costs 128 steps; far above any real worker count, low enough that a bad index cannot stall startup.
const MAX_WORKER_INDEX = 4095;
// xoshiro128** jump polynomial: 2^64 steps ahead, so each worker gets its own non-overlapping stream.
const JUMP = [0x8764000b, 0xf542d2d3, 0x6fa035c3, 0x77f2db5b] as const;
const TWO_PI = 2 * Math.PI;

/**
 * Seedable xoshiro128** generator: 32-bit integer arithmetic only (Math.imul, no BigInt), no allocation per draw,
 * and the same seed gives the same sequence on every platform and release (the tests pin it).
 */
export class Random {
  /** The seed this generator started from, to log so a run can be replayed. */
  readonly seed: number;
  private s0: number;
  private s1: number;
  private s2: number;
  private s3: number;
  // Box-Muller yields two normals per pair of uniforms; the second is kept for the next normal() call.
  private spare = 0;
  private hasSpare = false;

  constructor(seed: number) {
    if (!Number.isSafeInteger(seed)) throw new RangeError(`random seed must be a safe integer, got ${seed}`);
    this.seed = seed;
    // Two's-complement halves, so every safe integer (negative ones too) maps to a distinct state.
    const lo = seed >>> 0;
    const hi = Math.floor(seed / TWO_POW_32) >>> 0;
    // fmix32 is a bijection, so (s0, s1) differs for every seed, and s1 (the word the first output reads) depends on
    // both halves. s2 is never zero, which keeps the state out of all-zeros, the one state xoshiro never leaves.
    this.s0 = fmix32(lo ^ 0x243f6a88);
    this.s1 = fmix32(hi ^ 0x85a308d3 ^ this.s0);
    this.s2 = fmix32((this.s0 ^ 0x13198a2e) + Math.imul(this.s1, 0x9e3779b9)) || 0x03707344;
    this.s3 = fmix32(this.s1 ^ 0xa4093822 ^ this.s2);
  }

  /** A uniform float in [0, 1) with 32 bits of resolution. */
  next(): number {
    const s1 = this.s1;
    const result = Math.imul(rotl(Math.imul(s1, 5), 7), 9);
    const t = s1 << 9;
    this.s2 ^= this.s0;
    this.s3 ^= s1;
    this.s1 = s1 ^ this.s2;
    this.s0 ^= this.s3;
    this.s2 ^= t;
    this.s3 = rotl(this.s3, 11);
    return (result >>> 0) / TWO_POW_32;
  }

  /** A standard normal draw (mean 0, standard deviation 1), by Box-Muller. */
  normal(): number {
    if (this.hasSpare) {
      this.hasSpare = false;
      return this.spare;
    }
    // 1 - next() is in (0, 1], so the logarithm is finite; 32-bit uniforms bound |z| by about 6.7.
    const radius = Math.sqrt(-2 * Math.log(1 - this.next()));
    const angle = TWO_PI * this.next();
    this.spare = radius * Math.sin(angle);
    this.hasSpare = true;
    return radius * Math.cos(angle);
  }

  /** Advances the state by 2^64 draws: streams started from one seed and jumped different counts never overlap. */
  jump(): void {
    let a = 0;
    let b = 0;
    let c = 0;
    let d = 0;
    for (const word of JUMP) {
      for (let bit = 0; bit < 32; bit++) {
        if ((word >>> bit) & 1) {
          a ^= this.s0;
          b ^= this.s1;
          c ^= this.s2;
          d ^= this.s3;
        }
        this.next();
      }
    }
    this.s0 = a;
    this.s1 = b;
    this.s2 = c;
    this.s3 = d;
    this.hasSpare = false;
  }
}

/**
 * The generator for one worker: `seed` jumped workerIndex times, so workers never share a stream and a fixed
 * seed replays every worker exactly; a null seed draws one from crypto.randomInt (read it back from `.seed`).
 */
export function workerRandom(seed: number | null, workerIndex: number): Random {
  if (!Number.isInteger(workerIndex) || workerIndex < 0 || workerIndex > MAX_WORKER_INDEX) {
    throw new RangeError(`worker index must be an integer from 0 to ${MAX_WORKER_INDEX}, got ${workerIndex}`);
  }
  const random = new Random(seed ?? randomInt(RANDOM_SEED_LIMIT));
  for (let i = 0; i < workerIndex; i++) random.jump();
  return random;
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}

// MurmurHash3's finalizer: a bijection on 32-bit words with full avalanche, so nearby seeds give unrelated states.
function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h | 0;
}

import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { Random, workerRandom } from '../../src/grammar/random.js';

const TWO_POW_32 = 2 ** 32;

function words(random: Random, count: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < count; i++) out.push(random.next() * TWO_POW_32);
  return out;
}

// Pinned from the xoshiro128** reference C code (next() and jump() as published, with this module's seeding), so a
// seed replays the same benchmark run across releases.
const golden: ReadonlyArray<readonly [number, number, readonly number[]]> = [
  [42, 0, [1698988110, 999203623, 3655335444, 1683947415, 2635881887, 1473081535]],
  [42, 3, [767177610, 965782123, 4110746000, 581133908, 2474869613, 2972156340]],
  [0, 0, [1346593010, 1707428197, 4244163531, 1621207983, 1914026202, 1508808103]],
  [-1, 0, [467680852, 610373812, 2215250013, 2610153538, 1638743489, 3675988073]],
  [Number.MAX_SAFE_INTEGER, 1, [1585323695, 808978262, 304672490, 587209253, 1057871901, 1830449278]],
];

for (const [seed, worker, expected] of golden) {
  test(`workerRandom(${seed}, ${worker}) reproduces the reference xoshiro128** stream`, () => {
    assert.deepEqual(words(workerRandom(seed, worker), expected.length), expected);
  });
}

test('the same seed gives the same sequence of uniforms and normals', () => {
  const a = new Random(1234);
  const b = new Random(1234);
  for (let i = 0; i < 1000; i++) {
    assert.equal(a.next(), b.next());
    assert.equal(a.normal(), b.normal());
  }
});

test('worker 0 is the plain seeded stream and every worker index gives a different, uncorrelated stream', () => {
  assert.deepEqual(words(workerRandom(7, 0), 100), words(new Random(7), 100));
  const streams = Array.from({ length: 8 }, (_, worker) => words(workerRandom(7, worker), 10_000));
  for (let i = 0; i < streams.length; i++) {
    for (let j = i + 1; j < streams.length; j++) {
      assert.notDeepEqual(streams[i].slice(0, 4), streams[j].slice(0, 4), `workers ${i} and ${j}`);
      // Sample correlation of independent streams has standard deviation 1/sqrt(n); allow 5 of them.
      const r = correlation(streams[i], streams[j]);
      assert.ok(Math.abs(r) < 5 / Math.sqrt(10_000), `workers ${i} and ${j}: r = ${r}`);
    }
  }
});

test('nearby seeds start differently', () => {
  const first = new Set<number>();
  for (let seed = -500; seed < 500; seed++) first.add(new Random(seed).next());
  assert.equal(first.size, 1000);
});

test('a null seed draws a fresh one from crypto and reports it for replay', () => {
  const a = workerRandom(null, 0);
  const b = workerRandom(null, 2);
  for (const random of [a, b]) assert.ok(Number.isSafeInteger(random.seed) && random.seed >= 0 && random.seed < 2 ** 48);
  assert.notEqual(a.seed, b.seed);
  assert.deepEqual(words(workerRandom(b.seed, 2), 10), words(b, 10));
});

test('bad seeds and worker indexes are RangeErrors', () => {
  for (const seed of [1.5, Number.NaN, Infinity, 2 ** 53]) assert.throws(() => new Random(seed), RangeError, String(seed));
  for (const index of [-1, 0.5, 4096, Number.NaN]) assert.throws(() => workerRandom(1, index), RangeError, String(index));
});

test('property: next() stays in [0, 1) for any seed', () => {
  fc.assert(
    fc.property(fc.maxSafeInteger(), (seed) => {
      const random = new Random(seed);
      for (let i = 0; i < 200; i++) {
        const u = random.next();
        assert.ok(u >= 0 && u < 1, `${seed}: ${u}`);
      }
    }),
    { numRuns: 500 },
  );
});

test('next() is uniform: mean, variance and 16 equal bins within 5 standard deviations', () => {
  const n = 200_000;
  const random = new Random(99);
  const bins = new Array<number>(16).fill(0);
  let sum = 0;
  let sumSquares = 0;
  for (let i = 0; i < n; i++) {
    const u = random.next();
    sum += u;
    sumSquares += u * u;
    bins[Math.floor(u * 16)]++;
  }
  const mean = sum / n;
  assert.ok(Math.abs(mean - 0.5) < 5 * Math.sqrt(1 / 12 / n), `mean ${mean}`);
  // Var(U^2) = 1/5 - 1/9 for a standard uniform.
  assert.ok(Math.abs(sumSquares / n - 1 / 3) < 5 * Math.sqrt((1 / 5 - 1 / 9) / n), `second moment ${sumSquares / n}`);
  const p = 1 / 16;
  for (const count of bins) assert.ok(Math.abs(count / n - p) < 5 * Math.sqrt((p * (1 - p)) / n), `bin ${count}`);
});

test('normal() is standard normal: mean, variance and the central 95 % within 5 standard deviations', () => {
  const n = 200_000;
  const random = new Random(2024);
  let sum = 0;
  let sumSquares = 0;
  let inside = 0;
  for (let i = 0; i < n; i++) {
    const z = random.normal();
    assert.ok(Number.isFinite(z));
    sum += z;
    sumSquares += z * z;
    if (Math.abs(z) < 1.959963984540054) inside++;
  }
  assert.ok(Math.abs(sum / n) < 5 / Math.sqrt(n), `mean ${sum / n}`);
  // Var(Z^2) = 2.
  assert.ok(Math.abs(sumSquares / n - 1) < 5 * Math.sqrt(2 / n), `variance ${sumSquares / n}`);
  assert.ok(Math.abs(inside / n - 0.95) < 5 * Math.sqrt((0.95 * 0.05) / n), `inside ${inside / n}`);
});

function correlation(xs: readonly number[], ys: readonly number[]): number {
  const n = xs.length;
  let mx = 0;
  let my = 0;
  for (let i = 0; i < n; i++) {
    mx += xs[i] / n;
    my += ys[i] / n;
  }
  let sxy = 0;
  let sxx = 0;
  let syy = 0;
  for (let i = 0; i < n; i++) {
    sxy += (xs[i] - mx) * (ys[i] - my);
    sxx += (xs[i] - mx) ** 2;
    syy += (ys[i] - my) ** 2;
  }
  return sxy / Math.sqrt(sxx * syy);
}

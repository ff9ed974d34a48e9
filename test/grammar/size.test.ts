import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { GrammarError } from '../../src/grammar/errors.js';
import { formatSize, parseSize } from '../../src/grammar/size.js';

const KIB = 1024;
const MIB = 1024 ** 2;
const GIB = 1024 ** 3;
const TIB = 1024 ** 4;
const MAX_SIZE = 256 * MIB;
const HINT = 'such as 512, 4KB or 1.5MiB';

// Mirrors the documented grammar with a regex, as an independent model for the scanning parser.
const MODEL = /^(\d+(?:\.\d+)?|\.\d+)([kmgt](?:i?b)?|b)?$/i;
const MULTIPLIER: Record<string, number> = { '': 1, b: 1, k: KIB, m: MIB, g: GIB, t: TIB };

function referenceBytes(text: string): number | undefined {
  const match = text.length > 32 ? null : MODEL.exec(text);
  if (match === null) return undefined;
  return Math.floor(Number(match[1]) * MULTIPLIER[(match[2] ?? '').charAt(0).toLowerCase()]);
}

// The parser's whole contract for one input: a whole byte count in [0, max] or a GrammarError naming the param.
function checkTotal(text: string, maxBytes: number): void {
  try {
    const bytes = parseSize(text, 'size', maxBytes);
    assert.ok(Number.isInteger(bytes) && bytes >= 0 && bytes <= maxBytes, `${JSON.stringify(text)} -> ${bytes}`);
  } catch (error) {
    assert.ok(error instanceof GrammarError, `${JSON.stringify(text)} threw ${String(error)}`);
    assert.equal(error.param, 'size');
  }
}

const good: ReadonlyArray<readonly [string, number]> = [
  ['0', 0],
  ['512', 512],
  ['100B', 100],
  ['100b', 100],
  ['0.25K', 256],
  ['.5K', 512],
  ['1.5K', 1536],
  ['4KB', 4096],
  ['4kb', 4096],
  ['1KiB', KIB],
  ['1KIB', KIB],
  ['1kib', KIB],
  ['1M', MIB],
  ['1MiB', MIB],
  ['10MB', 10 * MIB],
  ['2G', 2 * GIB],
  ['1GB', GIB],
  ['1GiB', GIB],
  ['1T', TIB],
  ['1TB', TIB],
  ['1TiB', TIB],
  ['007K', 7 * KIB],
  ['1.9', 1],
  ['0.5B', 0],
  ['1.1K', 1126],
];

for (const [text, expected] of good) {
  test(`parseSize accepts ${text} as ${expected} bytes`, () => {
    assert.equal(parseSize(text, 'size', Number.MAX_SAFE_INTEGER), expected);
  });
}

const bad: readonly string[] = [
  '',
  ' ',
  ' 1K',
  '1K ',
  '1 K',
  '1\tK',
  '-1',
  '-1K',
  '+1K',
  'abc',
  'K',
  'KB',
  'B',
  '.',
  '.K',
  '1.',
  '1.K',
  '1..5K',
  '1.5.5K',
  '1KK',
  '1Ki',
  '1iB',
  '1Bi',
  '1BB',
  '1KBB',
  '1KiBB',
  '1P',
  '1PB',
  '1kbit',
  '1e3',
  'NaN',
  'Infinity',
  '1,5K',
  '1_000',
  '0x10',
  '１K',
  '1'.repeat(33),
];

for (const text of bad) {
  test(`parseSize rejects ${JSON.stringify(text)}`, () => {
    assert.throws(
      () => parseSize(text, 'X-Size', Number.MAX_SAFE_INTEGER),
      (error: unknown) => {
        assert.ok(error instanceof GrammarError);
        assert.equal(error.param, 'X-Size');
        assert.ok(error.message.includes(JSON.stringify(text).slice(1, -1).slice(0, 32)), error.message);
        assert.ok(error.message.includes('X-Size'), error.message);
        assert.ok(error.message.includes(HINT), error.message);
        return true;
      },
    );
  });
}

test('parseSize explains negative values', () => {
  assert.throws(() => parseSize('-1K', 'size', MAX_SIZE), /invalid size "-1K" for size: it is negative; use a byte count/);
});

test('parseSize names the cap and its flag when a value exceeds it', () => {
  assert.throws(
    () => parseSize('257MiB', 'size', MAX_SIZE),
    (error: unknown) => {
      assert.ok(error instanceof GrammarError);
      assert.equal(error.param, 'size');
      assert.equal(error.message, 'size 257MiB for size exceeds the maximum 256MiB (--max-size)');
      return true;
    },
  );
  for (const over of ['268435457', '1G', '0.26G', '1T']) {
    assert.throws(() => parseSize(over, 'size', MAX_SIZE), GrammarError, over);
  }
  for (const atCap of ['256MiB', '256m', '268435456', '0.25G', '262144K']) {
    assert.equal(parseSize(atCap, 'size', MAX_SIZE), MAX_SIZE, atCap);
  }
});

const formats: ReadonlyArray<readonly [number, string]> = [
  [0, '0B'],
  [100, '100B'],
  [1023, '1023B'],
  [1024, '1KiB'],
  [1025, '1025B'],
  [1152, '1.125KiB'],
  [1536, '1.5KiB'],
  [4096, '4KiB'],
  [16 * MIB, '16MiB'],
  [256 * MIB, '256MiB'],
  [1.5 * GIB, '1.5GiB'],
  [TIB, '1TiB'],
  [1024 * TIB, '1024TiB'],
  [MIB + 512, '1024.5KiB'],
  [MIB + 1, '1048577B'],
  [GIB + 512 * KIB, '1024.5MiB'],
];

for (const [bytes, expected] of formats) {
  test(`formatSize renders ${bytes} as ${expected}`, () => {
    assert.equal(formatSize(bytes), expected);
  });
}

test('property: parseSize returns a whole count in [0, max] or throws GrammarError for any string', () => {
  fc.assert(fc.property(fc.string(), (text) => checkTotal(text, MAX_SIZE)), { numRuns: 2000 });
  fc.assert(fc.property(fc.string({ unit: 'binary' }), (text) => checkTotal(text, MAX_SIZE)), { numRuns: 2000 });
});

const alphabet = fc.constantFrom('0', '1', '5', '9', '.', 'k', 'K', 'm', 'M', 'g', 'G', 't', 'T', 'i', 'I', 'b', 'B', 'p', 'e', '-', ' ');
const tokens = fc.constantFrom('1', '25', '.', '0.5', '.5', 'K', 'kb', 'KiB', 'M', 'MB', 'mib', 'G', 'T', 'B', 'i', '-');

test('property: strings over the grammar alphabet parse exactly when the regex model accepts them', () => {
  const agrees = (text: string): void => {
    checkTotal(text, Number.MAX_VALUE);
    const expected = referenceBytes(text);
    if (expected === undefined) {
      assert.throws(() => parseSize(text, 'size', Number.MAX_VALUE), GrammarError, text);
    } else {
      // The model multiplies an already-rounded Number, so it may land one byte either side near an integer.
      const actual = parseSize(text, 'size', Number.MAX_VALUE);
      assert.ok(Math.abs(actual - expected) <= Math.max(1, expected * 1e-12), `${text}: ${actual} vs ${expected}`);
    }
  };
  fc.assert(fc.property(fc.string({ unit: alphabet, maxLength: 40 }), agrees), { numRuns: 5000 });
  fc.assert(fc.property(fc.array(tokens, { maxLength: 8 }).map((parts) => parts.join('')), agrees), { numRuns: 5000 });
});

const units: ReadonlyArray<readonly [string, number]> = [
  ['', 1],
  ['B', 1],
  ['K', KIB],
  ['KB', KIB],
  ['KiB', KIB],
  ['M', MIB],
  ['MB', MIB],
  ['MiB', MIB],
  ['G', GIB],
  ['GB', GIB],
  ['GiB', GIB],
  ['T', TIB],
  ['TB', TIB],
  ['TiB', TIB],
];

// Units are case-insensitive, so flip the case of each letter at random.
const unitText = fc
  .tuple(fc.constantFrom(...units), fc.array(fc.boolean(), { minLength: 3, maxLength: 3 }))
  .map(([[name, multiplier], upper]) => {
    const cased = [...name].map((ch, i) => (upper[i] ? ch.toUpperCase() : ch.toLowerCase())).join('');
    return [cased, multiplier] as const;
  });

test('property: n with each unit is n times its multiplier', () => {
  fc.assert(
    fc.property(fc.nat(1_000_000), unitText, (n, [unit, multiplier]) => {
      assert.equal(parseSize(`${n}${unit}`, 'size', Number.MAX_VALUE), n * multiplier);
    }),
    { numRuns: 3000 },
  );
});

test('property: formatSize round-trips exactly through parseSize', () => {
  const bytes = fc.oneof(
    fc.maxSafeNat(),
    fc.nat(1_000_000),
    fc.tuple(fc.nat(8191 * 8), fc.constantFrom(KIB, MIB, GIB, TIB)).map(([eighths, unit]) => (eighths * unit) / 8),
  );
  fc.assert(
    fc.property(bytes, (value) => {
      const text = formatSize(value);
      assert.ok(text.length <= 32, text);
      assert.equal(parseSize(text, 'size', Number.MAX_SAFE_INTEGER), value, text);
    }),
    { numRuns: 5000 },
  );
});

test('property: values over the cap are rejected and the cap itself is accepted', () => {
  fc.assert(
    fc.property(fc.nat({ max: Number.MAX_SAFE_INTEGER - 1 }), (cap) => {
      assert.equal(parseSize(String(cap), 'size', cap), cap);
      assert.equal(parseSize(formatSize(cap), 'size', cap), cap);
      assert.throws(
        () => parseSize(String(cap + 1), 'size', cap),
        (error: unknown) =>
          error instanceof GrammarError && error.message.includes(`exceeds the maximum ${formatSize(cap)} (--max-size)`),
      );
    }),
    { numRuns: 3000 },
  );
});

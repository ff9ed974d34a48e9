// The stamp of stream messages: exact sizes, fixed-width fields rewritten in place, valid JSON read back.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MaxStampSeq, MinStampBytes, readStamp, stampTemplate, writeStamp } from '../../src/serializers/stamp.js';

test('a template is exactly the size asked (at least the bare stamp) and valid JSON', () => {
  for (const size of [0, 1, MinStampBytes - 1, MinStampBytes, MinStampBytes + 1, 64, 4096, 100_000]) {
    const t = stampTemplate(size);
    assert.equal(t.length, Math.max(size, MinStampBytes));
    const v = JSON.parse(t.toString()) as { seq: number; sent: number; pad: string };
    assert.equal(v.seq, 0);
    assert.equal(v.pad, 'x'.repeat(t.length - MinStampBytes));
  }
});

test('writeStamp rewrites seq and sent in place, at any offset, and readStamp reads them back', () => {
  const cases: [number, number][] = [[1, 1796500322387.508], [42, 1.5], [MaxStampSeq, 9999999999999.5], [1234567, 1700000000000]];
  const buf = Buffer.alloc(200, 0x2d);
  const t = stampTemplate(100);
  t.copy(buf, 37);
  for (const [seq, sent] of cases) {
    writeStamp(buf, 37, seq, sent);
    const s = readStamp(buf.subarray(37, 137).toString());
    assert.ok(s !== null);
    assert.equal(s.seq, seq);
    assert.ok(Math.abs(s.sent - sent) < 0.0011, `${s.sent} vs ${sent}`);
    assert.equal(buf.subarray(0, 37).toString(), '-'.repeat(37), 'bytes before the stamp untouched');
    assert.equal(buf.subarray(137).toString(), '-'.repeat(63), 'bytes after it untouched');
  }
  // A shorter number after a longer one leaves no digit behind.
  writeStamp(buf, 37, 7, 5);
  assert.deepEqual(readStamp(buf.subarray(37, 137).toString()), { seq: 7, sent: 5 });
});

test('readStamp refuses what is not a stamp', () => {
  for (const text of ['', 'hello', '{"seq":"1","sent":2}', '{"seq":1}', 'null', '[1,2]']) assert.equal(readStamp(text), null, text);
});

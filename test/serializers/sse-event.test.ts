// The SSE event template (/sse): what a real SSE parser reads from it, and that stamping rewrites only its head.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createParser, type EventSourceMessage } from 'eventsource-parser';
import { IdDigits, SseEventFrame } from '../../src/serializers/sse-event.js';
import { MaxStampSeq, MinStampBytes, readStamp } from '../../src/serializers/stamp.js';

/** The events a real SSE parser reads from `text`. */
function parse(text: string): EventSourceMessage[] {
  const events: EventSourceMessage[] = [];
  const parser = createParser({ onEvent: (e) => events.push(e), onError: (e) => assert.fail(`parse error: ${e.message}`) });
  parser.feed(text);
  return events;
}

test('an event parses as id, optional event name and the stamp as data, at every id width', () => {
  for (const [size, event] of [[0, null], [300, 'tick'], [MinStampBytes + 1, 'naïve ✓']] as const) {
    const f = new SseEventFrame(size, event);
    for (const seq of [1, 9, 10, 12_345, MaxStampSeq]) {
      const sent = 1_733_427_600_123.456;
      const start = f.stamp(seq, sent);
      const [e, ...more] = parse(f.whole(start).toString('utf8'));
      assert.equal(more.length, 0);
      assert.equal(e.id, String(seq));
      assert.equal(e.event, event ?? undefined);
      assert.equal(Buffer.byteLength(e.data), Math.max(size, MinStampBytes));
      assert.deepEqual(readStamp(e.data), { seq, sent });
      assert.ok(f.whole(start).toString('latin1').startsWith(`id: ${seq}\n`), 'the event starts at its id line');
    }
  }
});

test('stamping rewrites only the bytes before fixedFrom; head + tail is the whole event', () => {
  const f = new SseEventFrame(64 * 1024, 'big');
  const tail = Buffer.from(f.tail());
  let start = f.stamp(1, 1);
  const whole1 = Buffer.from(f.whole(start));
  assert.deepEqual(Buffer.concat([f.head(start), f.tail()]), whole1);
  start = f.stamp(10 ** (IdDigits - 1), 2_000_000_000_000);
  assert.deepEqual(Buffer.from(f.tail()), tail, 'the tail never changes');
  assert.deepEqual(Buffer.concat([f.head(start), f.tail()]), f.whole(start));
  assert.ok(f.head(start).length < 256, `the rewritten head is small (${f.head(start).length} bytes)`);
});

test('views are made once per id width: the same Buffer for every event of that width', () => {
  const f = new SseEventFrame(100, null);
  const a = f.stamp(11, 1);
  const view = f.whole(a);
  const b = f.stamp(99, 2);
  assert.equal(a, b);
  assert.equal(f.whole(b), view);
  assert.equal(f.tail(), f.tail());
  assert.notEqual(f.stamp(100, 3), a, 'a wider id starts one byte earlier');
});

// Unit tests of the gRPC pieces without sockets: the frame reader (whole, split, byte by byte, faults), the
// wire-format scan and the hand-written codecs (checked against protobufjs), grpc-timeout, grpc-message,
// the metadata controls, the health table and the admin body reader.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import protobuf from 'protobufjs';
import { echoBody, HealthReplies, summaryFrame, WireScan, writePrefix, writeStampedHead, StampBytes } from '../../src/features/grpc/codecs.js';
import { Code, encodeGrpcMessage, encodeFrame, FrameReader, parseGrpcTimeout } from '../../src/features/grpc/framing.js';
import { ControlReader, DefaultStreamMessages } from '../../src/features/grpc/controls.js';
import { HealthTable } from '../../src/features/grpc/health.js';
import { readChange } from '../../src/features/grpc/admin.js';
import { GrpcCounters } from '../../src/features/grpc/counters.js';
import { loadProtos } from '../../src/features/grpc/protos.js';
import { GrammarError } from '../../src/grammar/errors.js';
import { Random } from '../../src/grammar/random.js';
import { ProtoDir } from '../helpers/grpc.js';

function frames(reader: FrameReader, chunks: Buffer[]): { ok: boolean; got: Buffer[] } {
  const got: Buffer[] = [];
  const sink = { onFrame: (f: Buffer) => got.push(Buffer.from(f)) };
  let ok = true;
  for (const c of chunks) ok = reader.push(c, sink) && ok;
  return { ok: ok && reader.end(), got };
}

const root = new protobuf.Root().loadSync(`${ProtoDir}mock/v1/echo.proto`, { keepCase: true });
const EchoResponse = root.lookupType('mock.v1.EchoResponse');
const EchoRequest = root.lookupType('mock.v1.EchoRequest');

describe('FrameReader', () => {
  const a = encodeFrame(Buffer.from('hello'));
  const b = encodeFrame(Buffer.alloc(0));
  const c = encodeFrame(Buffer.alloc(300, 7));
  const all = Buffer.concat([a, b, c]);

  it('reads frames whole, split at every offset, and byte by byte', () => {
    assert.deepEqual(frames(new FrameReader(), [all]).got, [a, b, c]);
    for (let cut = 0; cut <= all.length; cut++) {
      const r = frames(new FrameReader(), [all.subarray(0, cut), all.subarray(cut)]);
      assert.ok(r.ok, `cut at ${cut}`);
      assert.deepEqual(r.got, [a, b, c], `cut at ${cut}`);
    }
    const bytes = [...all].map((x) => Buffer.from([x]));
    assert.deepEqual(frames(new FrameReader(), bytes).got, [a, b, c]);
  });

  it('hands a frame inside one chunk on as a view of that chunk (no copy)', () => {
    let seen: Buffer | null = null;
    new FrameReader().push(all, { onFrame: (f) => { seen ??= f; } });
    assert.equal((seen as unknown as Buffer).buffer, all.buffer);
  });

  const faults: [string, Buffer[], number, RegExp][] = [
    ['compressed flag', [Buffer.from([1, 0, 0, 0, 0])], Code.INTERNAL, /compressed flag/],
    ['unknown flag', [Buffer.from([2, 0, 0, 0, 0])], Code.INTERNAL, /payload format 2/],
    ['oversized, told by the prefix alone', [Buffer.from([0, 0, 0, 1, 1])], Code.RESOURCE_EXHAUSTED, /larger than max \(257 vs\. 256\)/],
    ['oversized, prefix split', [Buffer.from([0, 0]), Buffer.from([0, 1, 1])], Code.RESOURCE_EXHAUSTED, /larger than max/],
    ['truncated body', [Buffer.from([0, 0, 0, 0, 3, 1])], Code.INTERNAL, /unexpected EOF/],
    ['truncated prefix', [Buffer.from([0, 0])], Code.INTERNAL, /unexpected EOF/],
  ];
  for (const [name, chunks, code, why] of faults) {
    it(`${name} → ${code}`, () => {
      const reader = new FrameReader(256);
      const r = frames(reader, chunks);
      assert.equal(r.ok, false);
      assert.equal(reader.errorCode, code);
      assert.match(reader.error, why);
      assert.equal(reader.push(encodeFrame(Buffer.alloc(0)), { onFrame: () => assert.fail('no frame after a fault') }), false);
    });
  }
});

describe('WireScan and codecs', () => {
  const scan = new WireScan();

  it('finds fields 1 and 2 of protobufjs-encoded requests and skips others', () => {
    const msg = Buffer.from(EchoRequest.encode({ message: 'héllo', payload: Buffer.from([9, 8]) }).finish());
    // Unknown fields around them: a varint (3), a fixed64 (4), a fixed32 (5).
    const withUnknown = Buffer.concat([Buffer.from([0x18, 0x96, 0x01]), msg, Buffer.from([0x21, 1, 2, 3, 4, 5, 6, 7, 8, 0x2d, 1, 2, 3, 4])]);
    assert.ok(scan.scan(withUnknown));
    assert.equal(withUnknown.toString('utf8', scan.start1, scan.end1), 'héllo');
    assert.deepEqual([...withUnknown.subarray(scan.start2, scan.end2)], [9, 8]);
    assert.ok(scan.scan(Buffer.alloc(0)));
    assert.equal(scan.start1, -1);
  });

  const invalid: [string, number[]][] = [
    ['truncated length', [0x0a, 0x05, 0x61]],
    ['truncated varint', [0x08, 0x80]],
    ['an 11-byte varint', [0x08, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01]],
    ['group start', [0x0b]],
    ['field number 0', [0x02, 0x00]],
    ['truncated fixed32', [0x2d, 1, 2]],
    ['truncated fixed64', [0x21, 1, 2, 3]],
  ];
  for (const [name, bytes] of invalid) {
    it(`rejects ${name}`, () => {
      assert.equal(scan.scan(Buffer.from(bytes)), false);
      // protobufjs reads an over-long varint without complaint (Go's decoder refuses it, as we do).
      if (bytes.length < 11) assert.throws(() => EchoRequest.decode(Buffer.from(bytes)), `protobufjs rejects ${name} too`);
    });
  }

  it('health replies decode to each status', () => {
    const health = protobuf.loadSync(`${ProtoDir}grpc/health/v1/health.proto`).lookupType('grpc.health.v1.HealthCheckResponse');
    HealthReplies.forEach((frame, status) => {
      assert.equal(frame.readUInt32BE(1), frame.length - 5);
      assert.equal((health.decode(frame.subarray(5)) as unknown as { status: number }).status, status);
    });
  });

  it('echo bodies, stamped heads and summaries decode as EchoResponse', () => {
    const src = Buffer.from('xxabcxx');
    const body = echoBody(5, src, 2, 5, Buffer.alloc(1000, 0x41), 10, 200);
    writePrefix(body, body.length - 5);
    const r1 = EchoResponse.decode(body.subarray(5)) as unknown as { message: string; payload: Buffer };
    assert.equal(r1.message, 'abc');
    assert.equal(r1.payload.length, 200);

    const shared = echoBody(0, src, 2, 5, src, 0, 0);
    const head = Buffer.alloc(5 + StampBytes);
    writeStampedHead(head, shared.length, 4_000_000_000, 1234.5);
    const whole = Buffer.concat([head, shared]);
    assert.equal(whole.readUInt32BE(1), whole.length - 5);
    const r2 = EchoResponse.toObject(EchoResponse.decode(whole.subarray(5)), { longs: Number }) as { message: string; seq: number; sent_ms: number };
    assert.deepEqual([r2.message, r2.seq, r2.sent_ms], ['abc', 4_000_000_000, 1234.5]);

    const sum = summaryFrame(Buffer.from('joined'), Buffer.alloc(64, 1), 3, 300, 2 ** 40);
    assert.equal(sum.readUInt32BE(1), sum.length - 5);
    const r3 = EchoResponse.toObject(EchoResponse.decode(sum.subarray(5)), { longs: Number }) as Record<string, unknown>;
    assert.equal(r3.message, 'joined');
    assert.equal((r3.payload as Buffer).length, 3);
    assert.equal(r3.count, 300);
    assert.equal(r3.received_bytes, 2 ** 40);
  });

  it('loads every proto with fully qualified type names', () => {
    const protos = loadProtos(ProtoDir);
    assert.equal(protos.files.size, 4);
    assert.equal(protos.symbols.get('grpc.health.v1.HealthCheckResponse.ServingStatus'), 'grpc/health/v1/health.proto');
    assert.equal(protos.symbols.get('mock.v1.Echo.Bidi'), 'mock/v1/echo.proto');
    const text = Buffer.from(protos.files.get('grpc/health/v1/health.proto') as Uint8Array).toString('latin1');
    assert.ok(text.includes('.grpc.health.v1.HealthCheckResponse.ServingStatus'), 'enum field type is fully qualified');
  });
});

describe('grpc-timeout and grpc-message', () => {
  const timeouts: [string, number][] = [['1H', 3_600_000], ['2M', 120_000], ['3S', 3000], ['150m', 150], ['2500u', 2.5], ['1000000n', 1], ['99999999S', 99_999_999_000]];
  for (const [text, ms] of timeouts) it(`grpc-timeout ${text} is ${ms} ms`, () => assert.equal(parseGrpcTimeout(text), ms));
  for (const text of ['', 'S', '1', '1x', '-1S', '123456789S', '1.5S', ' 1S']) {
    it(`grpc-timeout ${JSON.stringify(text)} is malformed`, () => assert.equal(parseGrpcTimeout(text), -1));
  }

  it('grpc-message percent-encodes bytes outside 0x20-0x7E and %', () => {
    assert.equal(encodeGrpcMessage('plain text'), 'plain text');
    assert.equal(encodeGrpcMessage('100% "x"\n'), '100%25 "x"%0A');
    assert.equal(encodeGrpcMessage('é'), '%C3%A9');
  });
});

describe('metadata controls', () => {
  const reader = new ControlReader({ maxDelayMs: 1000, maxSizeBytes: 4096 }, new Random(1));

  it('defaults when nothing is asked', () => {
    assert.deepEqual(reader.read({}), { delayMs: 0, status: 0, size: -1, messages: DefaultStreamMessages, intervalMs: 0 });
  });

  it('reads each control with the server grammar', () => {
    assert.deepEqual(reader.read({ 'x-mock-delay': '150ms', 'x-mock-status': '14', 'x-mock-size': '1KB', 'x-mock-messages': '7', 'x-mock-interval': '1s' }),
      { delayMs: 150, status: 14, size: 1024, messages: 7, intervalMs: 1000 });
    const d = reader.read({ 'x-mock-delay': 'uniform(10ms,20ms)' });
    assert.ok(!(d instanceof GrammarError) && d.delayMs >= 10 && d.delayMs <= 20);
  });

  const bad: Record<string, string>[] = [
    { 'x-mock-delay': '2s' }, { 'x-mock-status': 'UNAVAILABLE' }, { 'x-mock-status': '3:50,4:60' }, { 'x-mock-size': '5KB' },
    { 'x-mock-messages': '1000001' }, { 'x-mock-interval': '5' },
  ];
  for (const h of bad) {
    it(`refuses ${JSON.stringify(h)} with a GrammarError naming the header`, () => {
      const r = reader.read(h);
      assert.ok(r instanceof GrammarError);
      assert.equal(r.param, Object.keys(h)[0]);
    });
  }
});

describe('health table, admin body, counters', () => {
  it('starts with "" SERVING, forgets SERVICE_UNKNOWN, notifies watchers of changes only', () => {
    const t = new HealthTable();
    assert.equal(t.get(''), 1);
    assert.equal(t.get('x'), 3);
    const seen: number[] = [];
    const w = { healthChanged: (_s: string, st: number) => seen.push(st) };
    t.watch('x', w);
    t.set('x', 'SERVING');
    t.set('x', 'SERVING');
    t.set('x', 'NOT_SERVING');
    t.set('x', 'SERVICE_UNKNOWN');
    assert.deepEqual(seen, [1, 2, 3]);
    assert.deepEqual(t.list(), [{ service: '', status: 'SERVING' }]);
    t.unwatch('x', w);
    assert.equal(t.watching, 0);
    assert.throws(() => t.set('x', 9), RangeError);
  });

  it('reads admin bodies strictly', () => {
    assert.deepEqual(readChange({ service: 'a', status: 'NOT_SERVING' }), { service: 'a', status: 'NOT_SERVING' });
    for (const bad of [null, [], 'x', { service: 1, status: 'SERVING' }, { service: 'a', status: 'DOWN' }, { service: 'a', status: 'SERVING', extra: 1 }, { service: 'x'.repeat(600), status: 'SERVING' }]) {
      assert.equal(typeof readChange(bad), 'string', JSON.stringify(bad));
    }
  });

  it('counts calls by method and status, unknown paths on their own row', () => {
    const c = new GrpcCounters(['/a/B']);
    c.count(0, 0);
    c.count(0, 0);
    c.count(c.unknownRow, 12);
    assert.deepEqual(c.snapshot(), [
      { method: '/a/B', status: 'OK', code: 0, calls: 2 },
      { method: 'unknown', status: 'UNIMPLEMENTED', code: 12, calls: 1 },
    ]);
    assert.throws(() => new GrpcCounters(['/a/B'], new Float64Array(3)), RangeError);
  });
});

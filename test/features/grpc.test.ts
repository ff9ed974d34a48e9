// gRPC against a bare node:http2 server that hands streams to the handler, with the real @grpc/grpc-js client:
// every Echo method, health Check/Watch, metadata controls, status codes, deadlines, cancellation, unknown
// services, and raw malformed frames from a node:http2 client (the server answers the right status and lives).
import assert from 'node:assert/strict';
import http2 from 'node:http2';
import { after, before, describe, it } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import {
  collect, makeClient, meta, startGrpcServer, unary, unaryError, until, within, type GrpcTestServer,
} from '../helpers/grpc.js';

const EchoProto = 'mock/v1/echo.proto';
const HealthProto = 'grpc/health/v1/health.proto';

interface EchoReply { message?: string; payload?: Buffer; seq?: number; sent_ms?: number; count?: number; received_bytes?: number }

interface RawAnswer { headers: http2.IncomingHttpHeaders; data: Buffer; trailers: http2.IncomingHttpHeaders | null }

// One raw HTTP/2 request (no gRPC library): what a malformed client sends. The status is in the headers
// (trailers-only) or the trailers.
function raw(port: number, path: string, body: Buffer | null, extra: Record<string, string> = {}): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    const client = http2.connect(`http://127.0.0.1:${port}`);
    client.on('error', reject);
    const req = client.request({ ':method': 'POST', ':path': path, 'content-type': 'application/grpc', te: 'trailers', ...extra });
    let headers: http2.IncomingHttpHeaders = {};
    let trailers: http2.IncomingHttpHeaders | null = null;
    const chunks: Buffer[] = [];
    req.on('response', (h) => { headers = h; });
    req.on('trailers', (t) => { trailers = t; });
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('error', reject);
    req.on('close', () => {
      client.close();
      resolve({ headers, data: Buffer.concat(chunks), trailers });
    });
    if (body === null) req.end();
    else req.end(body);
  });
}

function statusOf(a: RawAnswer): string | undefined {
  const s = a.trailers?.['grpc-status'] ?? a.headers['grpc-status'];
  return s === undefined ? undefined : String(s);
}

function frame(bytes: number[] | Buffer, flag = 0): Buffer {
  const body = Buffer.from(bytes);
  const out = Buffer.alloc(5 + body.length);
  out[0] = flag;
  out.writeUInt32BE(body.length, 1);
  body.copy(out, 5);
  return out;
}

describe('gRPC over node:http2 with a grpc-js client', () => {
  let server: GrpcTestServer;
  let echo: grpc.Client & Record<string, (...args: unknown[]) => unknown>;
  let health: grpc.Client & Record<string, (...args: unknown[]) => unknown>;

  before(async () => {
    server = await startGrpcServer();
    echo = makeClient(server, EchoProto, 'mock.v1.Echo') as typeof echo;
    health = makeClient(server, HealthProto, 'grpc.health.v1.Health') as typeof health;
  });
  after(async () => {
    echo.close();
    health.close();
    await server.close();
    assert.deepEqual(server.errors, [], 'no method code threw');
  });

  describe('Echo', () => {
    it('Unary echoes message and payload', async () => {
      const r = await unary<EchoReply>(echo, 'Unary', { message: 'hello', payload: Buffer.from([1, 2, 3]) });
      assert.equal(r.message, 'hello');
      assert.deepEqual([...(r.payload ?? [])], [1, 2, 3]);
    });

    it('Unary with an empty request answers an empty message', async () => {
      const r = await unary<EchoReply>(echo, 'Unary', {});
      assert.equal(r.message, undefined);
    });

    it('ServerStream sends x-mock-messages stamped messages, x-mock-interval apart', async () => {
      const started = performance.now();
      const r = await within(collect<EchoReply>((echo.ServerStream as (...a: unknown[]) => grpc.ClientReadableStream<unknown>)({ message: 'tick', payload: Buffer.from('p') },
        meta({ 'x-mock-messages': '4', 'x-mock-interval': '20ms' }))), 5000, 'server stream');
      assert.equal(r.status?.code, grpc.status.OK);
      assert.deepEqual(r.messages.map((m) => m.seq ?? 0), [0, 1, 2, 3]);
      assert.ok(r.messages.every((m) => m.message === 'tick' && m.payload?.toString() === 'p'));
      assert.ok(performance.now() - started >= 60, 'three intervals of 20 ms passed');
      for (let i = 1; i < r.messages.length; i++) {
        assert.ok((r.messages[i].sent_ms as number) - (r.messages[i - 1].sent_ms as number) >= 19, 'sent_ms steps by the interval');
      }
    });

    it('ServerStream defaults to 10 messages and x-mock-messages 0 sends none', async () => {
      const call = (m: Record<string, string>) => within(collect<EchoReply>((echo.ServerStream as (...a: unknown[]) => grpc.ClientReadableStream<unknown>)({ message: 'x' }, meta(m))), 5000, 'stream');
      assert.equal((await call({})).messages.length, 10);
      const none = await call({ 'x-mock-messages': '0' });
      assert.equal(none.messages.length, 0);
      assert.equal(none.status?.code, grpc.status.OK);
    });

    it('ServerStream without interval outruns the socket and still delivers every message in order', async () => {
      const r = await within(collect<EchoReply>((echo.ServerStream as (...a: unknown[]) => grpc.ClientReadableStream<unknown>)({ message: 'bulk' },
        meta({ 'x-mock-messages': '2000', 'x-mock-size': '4KB' }))), 20000, 'bulk stream');
      assert.equal(r.status?.code, grpc.status.OK);
      assert.equal(r.messages.length, 2000);
      assert.ok(r.messages.every((m, i) => (m.seq ?? 0) === i && m.payload?.length === 4096));
    });

    it('ClientStream answers the joined messages, the count and the payload bytes on half-close', async () => {
      const reply = await within(new Promise<EchoReply>((resolve, reject) => {
        const call = (echo.ClientStream as (cb: (e: Error | null, r: EchoReply) => void) => grpc.ClientWritableStream<unknown>)((e, r) => (e !== null ? reject(e) : resolve(r)));
        call.write({ message: 'a', payload: Buffer.alloc(10) });
        call.write({ message: 'b' });
        call.write({ message: 'c', payload: Buffer.alloc(5) });
        call.end();
      }), 5000, 'client stream');
      assert.equal(reply.message, 'abc');
      assert.equal(reply.count, 3);
      assert.equal(reply.received_bytes, 15);
    });

    it('Bidi echoes each message as it arrives', async () => {
      const call = (echo.Bidi as () => grpc.ClientDuplexStream<unknown, unknown>)();
      const got: string[] = [];
      // Ping-pong: each reply arrives before the next request is written, so echoes are not batched at the end.
      const next = (): Promise<string> => new Promise((resolve) => call.once('data', (m: EchoReply) => resolve(m.message ?? '')));
      for (const word of ['one', 'two', 'three']) {
        const p = next();
        call.write({ message: word });
        got.push(await within(p, 5000, `echo of ${word}`));
      }
      const done = collect(call);
      call.end();
      assert.equal((await within(done, 5000, 'bidi end')).status?.code, grpc.status.OK);
      assert.deepEqual(got, ['one', 'two', 'three']);
    });

    it('Bidi with x-mock-delay holds the first echo, then answers everything queued', async () => {
      const started = performance.now();
      const call = (echo.Bidi as (md: grpc.Metadata) => grpc.ClientDuplexStream<unknown, unknown>)(meta({ 'x-mock-delay': '50ms' }));
      const done = collect<EchoReply>(call);
      call.write({ message: '1' });
      call.write({ message: '2' });
      call.end();
      const r = await within(done, 5000, 'delayed bidi');
      assert.ok(performance.now() - started >= 50);
      assert.deepEqual(r.messages.map((m) => m.message), ['1', '2']);
      assert.equal(r.status?.code, grpc.status.OK);
    });
  });

  describe('metadata controls', () => {
    it('x-mock-delay delays the reply at least that long', async () => {
      const started = performance.now();
      await unary(echo, 'Unary', { message: 'd' }, meta({ 'x-mock-delay': '80ms' }));
      assert.ok(performance.now() - started >= 80);
    });

    it('x-mock-size sets the payload bytes', async () => {
      for (const [size, bytes] of [['0', 0], ['100', 100], ['1KB', 1024]] as const) {
        const r = await unary<EchoReply>(echo, 'Unary', { message: 's', payload: Buffer.alloc(3) }, meta({ 'x-mock-size': size }));
        assert.equal(r.payload?.length ?? 0, bytes, size);
        assert.equal(r.message, 's');
      }
    });

    it('x-mock-status answers that code, trailers-only, with a grpc-message', async () => {
      for (const code of [1, 2, 3, 5, 7, 8, 13, 14, 16]) {
        const err = await unaryError(echo, 'Unary', { message: 'x' }, meta({ 'x-mock-status': String(code) }));
        assert.equal(err.code, code);
        assert.match(err.details, /x-mock-status/);
      }
      const ok = await unary<EchoReply>(echo, 'Unary', { message: 'fine' }, meta({ 'x-mock-status': '0' }));
      assert.equal(ok.message, 'fine');
    });

    it('weighted x-mock-status (14:30) fails about that share of calls', async () => {
      const n = 300;
      let unavailable = 0;
      await Promise.all(Array.from({ length: n }, async () => {
        try {
          await unary(echo, 'Unary', {}, meta({ 'x-mock-status': '14:30' }));
        } catch (err) {
          assert.equal((err as grpc.ServiceError).code, grpc.status.UNAVAILABLE);
          unavailable++;
        }
      }));
      // Binomial(300, 0.3): mean 90, sd ~7.9; 50..130 is beyond 5 sd on each side.
      assert.ok(unavailable > 50 && unavailable < 130, `${unavailable} of ${n} were UNAVAILABLE`);
    });

    const bad: [string, string, RegExp][] = [
      ['x-mock-delay', 'soon', /x-mock-delay/],
      ['x-mock-delay', '10h', /maximum/],
      ['x-mock-status', '17', /x-mock-status.*0 to 16/],
      ['x-mock-status', '14:120', /over 100/],
      ['x-mock-size', '1TB', /x-mock-size/],
      ['x-mock-size', '5MiB', /exceeds the maximum/],
      ['x-mock-messages', '-1', /x-mock-messages/],
      ['x-mock-interval', 'fast', /x-mock-interval/],
    ];
    for (const [name, value, why] of bad) {
      it(`${name}: ${value} is INVALID_ARGUMENT with a clear message`, async () => {
        const err = await unaryError(echo, 'Unary', {}, meta({ [name]: value }));
        assert.equal(err.code, grpc.status.INVALID_ARGUMENT);
        assert.match(err.details, why);
      });
    }
  });

  describe('Health', () => {
    it('Check: the server is SERVING, an unknown service NOT_FOUND, a set one its status', async () => {
      assert.deepEqual(await unary(health, 'Check', {}), { status: 'SERVING' });
      const err = await unaryError(health, 'Check', { service: 'nope' });
      assert.equal(err.code, grpc.status.NOT_FOUND);
      server.handler.setHealth('billing', 'NOT_SERVING');
      assert.deepEqual(await unary(health, 'Check', { service: 'billing' }), { status: 'NOT_SERVING' });
      server.handler.setHealth('billing', 'SERVICE_UNKNOWN');
      assert.equal((await unaryError(health, 'Check', { service: 'billing' })).code, grpc.status.NOT_FOUND);
    });

    it('Watch streams the current status and every change until cancelled', async () => {
      server.handler.setHealth('orders', 'SERVING');
      const call = (health.Watch as (req: object) => grpc.ClientReadableStream<unknown>)({ service: 'orders' });
      const seen: string[] = [];
      const wait = (n: number): Promise<void> => until(() => seen.length >= n, 5000, `${n} watch messages`);
      call.on('data', (m: { status: string }) => seen.push(m.status));
      const ended = new Promise<grpc.ServiceError>((resolve) => call.on('error', resolve));
      await wait(1);
      server.handler.setHealth('orders', 'NOT_SERVING');
      await wait(2);
      server.handler.setHealth('orders', 'NOT_SERVING'); // no change, no message
      server.handler.setHealth('orders', 'SERVING');
      await wait(3);
      assert.deepEqual(seen, ['SERVING', 'NOT_SERVING', 'SERVING']);
      assert.equal(server.handler.health.watching, 1);
      call.cancel();
      assert.equal((await within(ended, 5000, 'cancel')).code, grpc.status.CANCELLED);
      await until(() => server.handler.health.watching === 0, 5000, 'the watch is forgotten after cancel');
    });

    it('Watch of an unknown service sends SERVICE_UNKNOWN and stays open until it becomes known', async () => {
      const call = (health.Watch as (req: object) => grpc.ClientReadableStream<unknown>)({ service: 'later' });
      const seen: string[] = [];
      call.on('data', (m: { status: string }) => seen.push(m.status));
      call.on('error', () => {});
      await until(() => seen.length === 1, 5000, 'first watch message');
      server.handler.setHealth('later', 'SERVING');
      await until(() => seen.length === 2, 5000, 'second watch message');
      assert.deepEqual(seen, ['SERVICE_UNKNOWN', 'SERVING']);
      call.cancel();
      await until(() => server.handler.health.watching === 0, 5000, 'watch released');
    });
  });

  describe('deadlines, cancellation, unknown methods', () => {
    it('a deadline shorter than x-mock-delay ends DEADLINE_EXCEEDED, and the call is released', async () => {
      const err = await unaryError(echo, 'Unary', {}, meta({ 'x-mock-delay': '2s' }), { deadline: Date.now() + 100 });
      assert.equal(err.code, grpc.status.DEADLINE_EXCEEDED);
      await until(() => server.handler.openCalls === 0, 5000, 'no open call after the deadline');
    });

    it('the server enforces grpc-timeout itself (a raw client that never gives up)', async () => {
      const a = await within(raw(server.port, '/mock.v1.Echo/Unary', frame([]), { 'grpc-timeout': '50m', 'x-mock-delay': '5s' }), 5000, 'raw deadline');
      assert.equal(statusOf(a), String(grpc.status.DEADLINE_EXCEEDED));
    });

    it('a cancelled server stream frees its timer and call', async () => {
      const call = (echo.ServerStream as (req: object, md: grpc.Metadata) => grpc.ClientReadableStream<unknown>)({ message: 'x' }, meta({ 'x-mock-messages': '1000', 'x-mock-interval': '10ms' }));
      call.on('error', () => {});
      await new Promise((resolve) => call.once('data', resolve));
      assert.ok(server.handler.openCalls >= 1);
      call.cancel();
      await until(() => server.handler.openCalls === 0, 5000, 'cancelled stream released');
      const cancelled = server.handler.counters.get(3, grpc.status.CANCELLED);
      assert.ok(cancelled >= 1, 'counted as CANCELLED');
    });

    it('an unknown service or method is UNIMPLEMENTED', async () => {
      const a = await raw(server.port, '/no.Such/Thing', frame([]));
      assert.equal(statusOf(a), '12');
      assert.match(String(a.headers['grpc-message']), /unknown service no\.Such/);
      const b = await raw(server.port, '/mock.v1.Echo/Nope', frame([]));
      assert.equal(statusOf(b), '12');
      assert.match(String(b.headers['grpc-message']), /unknown method Nope for service mock\.v1\.Echo/);
      assert.ok(server.handler.counters.get(server.handler.counters.unknownRow, 12) >= 2);
    });

    it('grpc-js sees UNIMPLEMENTED for a service this server does not have', async () => {
      const Ctor = grpc.makeGenericClientConstructor({
        Nope: { path: '/other.v1.Svc/Nope', requestStream: false, responseStream: false, requestSerialize: (b: Buffer) => b, requestDeserialize: (b: Buffer) => b, responseSerialize: (b: Buffer) => b, responseDeserialize: (b: Buffer) => b },
      }, 'Svc');
      const c = new Ctor(server.address, grpc.credentials.createInsecure());
      const err = await unaryError(c, 'Nope', Buffer.alloc(0));
      assert.equal(err.code, grpc.status.UNIMPLEMENTED);
      c.close();
    });
  });

  describe('malformed input never crashes the worker', () => {
    const cases: [string, string, Buffer | null, Record<string, string>, number, RegExp][] = [
      ['invalid protobuf (truncated field)', '/mock.v1.Echo/Unary', frame([0x0a, 0x05, 0x61]), {}, 13, /unmarshalling/],
      ['invalid protobuf (group wire type)', '/grpc.health.v1.Health/Check', frame([0x0b]), {}, 13, /unmarshalling/],
      ['a frame cut short by the end of stream', '/mock.v1.Echo/Unary', Buffer.from([0, 0, 0, 0, 9, 0x0a]), {}, 13, /unexpected EOF/],
      ['a prefix cut short', '/mock.v1.Echo/Unary', Buffer.from([0, 0, 0]), {}, 13, /unexpected EOF/],
      ['the compressed flag without grpc-encoding', '/mock.v1.Echo/Unary', frame([], 1), {}, 13, /compressed flag/],
      ['an unknown flag byte', '/mock.v1.Echo/Unary', frame([], 7), {}, 13, /payload format 7/],
      ['a message over 4 MiB', '/mock.v1.Echo/Unary', Buffer.from([0, 0x00, 0x50, 0x00, 0x00]), {}, 8, /larger than max/],
      ['an unsupported grpc-encoding', '/mock.v1.Echo/Unary', frame([], 1), { 'grpc-encoding': 'gzip' }, 12, /gzip/],
      ['no request message on a unary call', '/mock.v1.Echo/Unary', null, {}, 13, /no request message/],
      ['two request messages on a unary call', '/mock.v1.Echo/Unary', Buffer.concat([frame([]), frame([])]), {}, 13, /more than one message/],
      ['a malformed grpc-timeout', '/mock.v1.Echo/Unary', frame([]), { 'grpc-timeout': '1x' }, 13, /grpc-timeout/],
    ];
    for (const [name, path, body, extra, code, why] of cases) {
      it(`${name} → ${code}`, async () => {
        const a = await within(raw(server.port, path, body, extra), 5000, name);
        assert.equal(statusOf(a), String(code));
        assert.match(decodeURIComponent(String(a.trailers?.['grpc-message'] ?? a.headers['grpc-message'])), why);
      });
    }

    it('a frame split byte by byte across DATA frames is reassembled', async () => {
      const client = http2.connect(`http://127.0.0.1:${server.port}`);
      const req = client.request({ ':method': 'POST', ':path': '/mock.v1.Echo/Unary', 'content-type': 'application/grpc', te: 'trailers' });
      const body = frame([0x0a, 0x03, 0x61, 0x62, 0x63]);
      const chunks: Buffer[] = [];
      let trailers: http2.IncomingHttpHeaders = {};
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('trailers', (t) => { trailers = t; });
      const closed = new Promise((resolve) => req.on('close', resolve));
      for (const byte of body) {
        req.write(Buffer.from([byte]));
        await new Promise((r) => setImmediate(r));
      }
      req.end();
      await within(closed, 5000, 'split frame');
      client.close();
      assert.equal(String(trailers['grpc-status']), '0');
      assert.deepEqual(Buffer.concat(chunks), body);
    });

    it('a client that resets mid-call leaves nothing open, and the server still answers', async () => {
      const client = http2.connect(`http://127.0.0.1:${server.port}`);
      const req = client.request({ ':method': 'POST', ':path': '/mock.v1.Echo/Bidi', 'content-type': 'application/grpc', te: 'trailers', 'x-mock-delay': '1s' });
      req.on('error', () => {});
      req.write(frame([0x0a, 0x01, 0x61]));
      await until(() => server.handler.openCalls === 1, 5000, 'the bidi call is open');
      req.close(http2.constants.NGHTTP2_CANCEL);
      await until(() => server.handler.openCalls === 0, 5000, 'reset call released');
      client.close();
      assert.deepEqual(await unary(health, 'Check', {}), { status: 'SERVING' });
    });

    // Writes `count` copies of `one` on an open call (waiting for 'drain'), then runs `check` before half-closing.
    async function stream(path: string, one: Buffer, count: number, extra: Record<string, string>,
      check: () => void = () => {}): Promise<{ status: string; data: Buffer; message: string }> {
      const client = http2.connect(`http://127.0.0.1:${server.port}`);
      const req = client.request({ ':method': 'POST', ':path': path, 'content-type': 'application/grpc', te: 'trailers', ...extra });
      const chunks: Buffer[] = [];
      let headers: http2.IncomingHttpHeaders = {};
      let trailers: http2.IncomingHttpHeaders = {};
      req.on('response', (h) => { headers = h; });
      req.on('trailers', (t) => { trailers = t; });
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('error', () => {});
      const closed = new Promise((resolve) => req.on('close', resolve));
      for (let i = 0; i < count && !req.closed; i++) {
        if (!req.write(one)) await Promise.race([new Promise((r) => req.once('drain', r)), closed]);
      }
      check();
      if (!req.closed) req.end();
      await within(closed, 20_000, `${path} ends`);
      client.close();
      const status = String(trailers['grpc-status'] ?? headers['grpc-status']);
      return { status, data: Buffer.concat(chunks), message: decodeURIComponent(String(trailers['grpc-message'] ?? headers['grpc-message'] ?? '')) };
    }

    it('ClientStream keeps only the message fields, not each request frame', async () => {
      // A 1-byte message and a 1 MiB payload per request: 256 requests joined are 256 bytes, not 256 MiB held.
      const payload = 1024 * 1024;
      const body = Buffer.alloc(3 + 1 + 3 + payload);
      body.set([0x0a, 0x01, 0x61, 0x12, 0x80, 0x80, 0x40]);
      const one = frame(body);
      const count = 256;
      const before = process.memoryUsage().arrayBuffers;
      let held = 0;
      const r = await stream('/mock.v1.Echo/ClientStream', one, count, {}, () => {
        held = process.memoryUsage().arrayBuffers - before;
      });
      assert.equal(r.status, '0', r.message);
      // The summary: message (field 1) is the 256 'a's joined.
      assert.ok(r.data.includes(Buffer.alloc(count, 'a')), 'the joined messages are in the reply');
      assert.ok(held < (count / 2) * payload, `${Math.round(held / 1024 / 1024)} MiB held by an open ClientStream call after ${count} MiB sent`);
    });

    it('Bidi bounds the bytes it queues during x-mock-delay, not only the messages', async () => {
      // 4 MiB messages (the largest accepted) while the delay runs: RESOURCE_EXHAUSTED once 16 MiB are queued.
      const one = frame(Buffer.concat([Buffer.from([0x12, 0xf0, 0xff, 0xff, 0x01]), Buffer.alloc(4 * 1024 * 1024 - 16)]));
      const r = await stream('/mock.v1.Echo/Bidi', one, 8, { 'x-mock-delay': '60s' });
      assert.equal(r.status, '8', r.message);
      assert.match(r.message, /bytes arrived during x-mock-delay/);
      await until(() => server.handler.openCalls === 0, 5000, 'the refused call is released');
    });

    it('a non-gRPC :method is refused, not served', async () => {
      const client = http2.connect(`http://127.0.0.1:${server.port}`);
      const req = client.request({ ':method': 'GET', ':path': '/mock.v1.Echo/Unary', 'content-type': 'application/grpc' });
      const headers = await within(new Promise<http2.IncomingHttpHeaders>((resolve) => req.on('response', resolve)), 5000, 'GET answer');
      req.resume();
      client.close();
      assert.equal(String(headers['grpc-status']), '12');
    });
  });

  it('drain() ends open calls with UNAVAILABLE', async () => {
    const call = (health.Watch as (req: object) => grpc.ClientReadableStream<unknown>)({ service: '' });
    const ended = new Promise<grpc.ServiceError>((resolve) => call.on('error', resolve));
    await new Promise((resolve) => call.once('data', resolve));
    server.handler.drain();
    assert.equal((await within(ended, 5000, 'drained watch')).code, grpc.status.UNAVAILABLE);
    await until(() => server.handler.openCalls === 0 && server.handler.health.watching === 0, 5000, 'drained');
  });
});

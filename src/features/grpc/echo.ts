// mock.v1.Echo: Unary, ServerStream, ClientStream and Bidi. EchoResponse's fields 1 and 2 are EchoRequest's,
// so without x-mock-size a unary or bidi echo writes the request frame's own bytes back (no decode, no copy).
import { performance } from 'node:perf_hooks';
import type { Call, Method } from './call.js';
import { echoBody, StampBytes, summaryFrame, writePrefix, writeStampedHead, type WireScan } from './codecs.js';
import { Code, PrefixBytes } from './framing.js';

/** grpc-go's words for a request that is not valid protobuf (it answers INTERNAL too). */
export const UnmarshalError = 'grpc: error unmarshalling request: proto: cannot parse invalid wire-format data';
/** Most request messages a Bidi call holds while x-mock-delay runs. */
export const MaxQueuedMessages = 4096;
/** Most request bytes (frames, prefixes included) a Bidi call holds while x-mock-delay runs. */
export const MaxQueuedBytes = 16 * 1024 * 1024;

/** Filler bytes for x-mock-size payloads, grown on demand (to the largest size asked) and shared. */
export class Filler {
  private buf = Buffer.alloc(0);

  /** At least `n` filler bytes (read the first n). */
  get(n: number): Buffer {
    if (this.buf.length < n) {
      // Powers of two, so a ramp of sizes grows it a few times only.
      let size = Math.max(1024, this.buf.length);
      while (size < n) size *= 2;
      this.buf = Buffer.alloc(size, 'x');
    }
    return this.buf;
  }
}

// A buffer of at least `need` bytes holding the first `used` bytes of `buf`: `buf` itself while it fits,
// else twice as large (so joining N fields copies O(N) bytes in all).
function joined(buf: Buffer | null, used: number, need: number): Buffer {
  if (buf !== null && buf.length >= need) return buf;
  const out = Buffer.allocUnsafe(Math.max(need, 2 * (buf?.length ?? 0), 256));
  if (buf !== null) buf.copy(out, 0, 0, used);
  return out;
}

/** The four Echo methods; `maxMessage` bounds what ClientStream joins. */
export function echoMethods(scan: WireScan, filler: Filler, index: number, maxMessage: number): Method[] {
  // Valid protobuf, else the call ends INTERNAL; true when valid (scan holds the fields).
  function valid(call: Call, frame: Buffer): boolean {
    if (scan.scan(frame, PrefixBytes)) return true;
    call.finish(Code.INTERNAL, UnmarshalError);
    return false;
  }

  // The reply frame for one request frame: the frame itself, or with an x-mock-size payload.
  function reply(call: Call, frame: Buffer): Buffer {
    const size = call.controls.size;
    if (size < 0) return frame;
    scan.scan(frame, PrefixBytes);
    const out = echoBody(PrefixBytes, frame, scan.start1, scan.end1, filler.get(size), 0, size);
    writePrefix(out, out.length - PrefixBytes);
    return out;
  }

  const noop = (): void => {};

  const unary: Method = {
    path: '/mock.v1.Echo/Unary',
    index,
    clientStreams: false,
    start: noop,
    message(call, frame) {
      if (valid(call, frame)) call.frame = frame;
    },
    halfClose(call) {
      if (call.requests === 0) call.finish(Code.INTERNAL, 'grpc: the client sent no request message for a unary call');
      else call.proceed();
    },
    timer(call) {
      call.send(reply(call, call.frame as Buffer));
      call.finish(Code.OK);
    },
    closed(call) {
      call.frame = null;
    },
  };

  const serverStream: Method = {
    path: '/mock.v1.Echo/ServerStream',
    index: index + 1,
    clientStreams: false,
    start: noop,
    message: unary.message,
    halfClose: unary.halfClose,
    // call.body: the fields every message shares; call.count: the next seq.
    timer(call, first) {
      const { messages, intervalMs, size } = call.controls;
      if (first) {
        const frame = call.frame as Buffer;
        scan.scan(frame, PrefixBytes);
        call.body = size < 0
          ? echoBody(0, frame, scan.start1, scan.end1, frame, scan.start2 < 0 ? 0 : scan.start2, scan.start2 < 0 ? 0 : scan.end2 - scan.start2)
          : echoBody(0, frame, scan.start1, scan.end1, filler.get(size), 0, size);
        call.frame = null;
      }
      const body = call.body as Buffer;
      while (call.count < messages) {
        const head = Buffer.allocUnsafe(PrefixBytes + StampBytes);
        writeStampedHead(head, body.length, call.count, performance.timeOrigin + performance.now());
        call.count++;
        const ok = call.sendPair(head, body);
        if (call.count === messages) break;
        if (intervalMs > 0) {
          call.tick(intervalMs);
          return;
        }
        if (!ok) {
          call.awaitDrain();
          return;
        }
      }
      call.finish(Code.OK);
    },
    closed(call) {
      call.frame = null;
      call.body = null;
    },
  };

  const clientStream: Method = {
    path: '/mock.v1.Echo/ClientStream',
    index: index + 2,
    clientStreams: true,
    start: noop,
    // call.body: the message fields joined (the first call.total bytes); call.count: payload bytes received.
    // The fields are copied out: a view would keep each whole request frame (payload included) alive, so
    // messages with a 1-byte field and a 4 MiB payload would hold gigabytes against a 4 MiB limit.
    message(call, frame) {
      if (!valid(call, frame)) return;
      if (scan.start2 >= 0) call.count += scan.end2 - scan.start2;
      if (scan.start1 < 0 || scan.end1 === scan.start1) return;
      const n = scan.end1 - scan.start1;
      if (call.total + n > maxMessage) {
        call.finish(Code.RESOURCE_EXHAUSTED, `the joined messages would exceed the largest reply (${maxMessage} bytes)`);
        return;
      }
      call.body = joined(call.body, call.total, call.total + n);
      call.total += frame.copy(call.body, call.total, scan.start1, scan.end1);
    },
    halfClose(call) {
      call.proceed();
    },
    timer(call) {
      const size = call.controls.size < 0 ? 0 : call.controls.size;
      const fields = call.body === null ? Buffer.alloc(0) : call.body.subarray(0, call.total);
      call.send(summaryFrame(fields, filler.get(size), size, call.requests, call.count));
      call.finish(Code.OK);
    },
    closed(call) {
      call.body = null;
    },
  };

  // call.count: 1 once open (x-mock-delay ran out); call.parts: requests that came before (call.total their bytes).
  const bidi: Method = {
    path: '/mock.v1.Echo/Bidi',
    index: index + 3,
    clientStreams: true,
    start(call) {
      if (call.controls.delayMs > 0 || call.controls.status !== Code.OK) {
        call.parts = [];
        call.proceed();
      } else {
        call.count = 1;
      }
    },
    message(call, frame) {
      if (!valid(call, frame)) return;
      if (call.count === 0) {
        const parts = call.parts as Buffer[];
        if (parts.length >= MaxQueuedMessages) {
          call.finish(Code.RESOURCE_EXHAUSTED, `more than ${MaxQueuedMessages} messages arrived during x-mock-delay`);
          return;
        }
        // The count alone would let 4096 messages of 4 MiB (16 GiB) pile up.
        call.total += frame.length;
        if (call.total > MaxQueuedBytes) {
          call.finish(Code.RESOURCE_EXHAUSTED, `more than ${MaxQueuedBytes} bytes arrived during x-mock-delay`);
          return;
        }
        parts.push(frame);
        return;
      }
      // A client that writes but does not read: stop reading until our replies drain.
      if (!call.send(reply(call, frame))) {
        call.stream.pause();
        call.awaitDrain();
      }
    },
    halfClose(call) {
      if (call.count === 1) call.finish(Code.OK);
    },
    timer(call, first) {
      if (first) {
        call.count = 1;
        const queued = call.parts as Buffer[];
        call.parts = null;
        for (const frame of queued) call.send(reply(call, frame));
        if (call.halfClosed) call.finish(Code.OK);
        return;
      }
      call.stream.resume();
    },
    closed(call) {
      call.parts = null;
    },
  };

  return [unary, serverStream, clientStream, bidi];
}

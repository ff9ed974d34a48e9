// A response that records the calls made on it, for in-process unit tests of the writer, controls and
// scheduler: ArrayBuffers and views are recorded as latin1 text, so a test compares what would go on the wire.
import type { HttpResponse } from '../../src/http/uws.js';

/** One recorded call: the method's name, then its arguments. */
export type Call = [string, ...unknown[]];

/** A recorded argument as text when it is bytes. */
export function asText(v: unknown): unknown {
  if (v instanceof ArrayBuffer) return Buffer.from(v).toString('latin1');
  if (ArrayBuffer.isView(v)) return Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('latin1');
  return v;
}

/** A response recording writeStatus, writeHeader, end, endWithoutBody, tryEnd, onAborted and close; cork runs its callback. */
export function fakeRes(): { res: HttpResponse; calls: Call[] } {
  const calls: Call[] = [];
  const rec = (name: string) => (...args: unknown[]) => { calls.push([name, ...args.map(asText)]); return res; };
  const res = {
    writeStatus: rec('writeStatus'), writeHeader: rec('writeHeader'), end: rec('end'), endWithoutBody: rec('endWithoutBody'),
    onAborted: rec('onAborted'), close: rec('close'), cork(fn: () => void) { fn(); return res; },
    // The socket took every byte offered; the response is done when the total is reached.
    tryEnd(chunk: unknown, total: number) { calls.push(['tryEnd', asText(chunk), total]); return [true, Buffer.byteLength(String(asText(chunk)), 'latin1') >= total]; },
    // What the journal's recorder reads of the connection (no PROXY header here).
    getProxiedRemoteAddressAsText: () => new ArrayBuffer(0),
  } as unknown as HttpResponse;
  return { res, calls };
}

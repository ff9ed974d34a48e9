// Which engines this Node can run: the native uWS build where it loads (Node 20 here), the portable
// node:http engine everywhere. Engine-agnostic tests run once per entry; uWS-specific tests skip with
// `nativeOnly` when the native build is not there (Node 22 and later).
import { loadUws } from '../../src/http/uws.js';

export type EngineName = 'native' | 'portable';

let native: boolean | null = null;

/** Whether the native uWebSockets.js build loads in this Node. */
export function nativeLoads(): boolean {
  if (native === null) {
    try {
      loadUws();
      native = true;
    } catch {
      native = false;
    }
  }
  return native;
}

/** The engines to run engine-agnostic tests on, native first. */
export function availableEngines(): EngineName[] {
  return nativeLoads() ? ['native', 'portable'] : ['portable'];
}

/** For `test(name, nativeOnly(), fn)`: skips, with the reason, where the native build does not load. */
export function nativeOnly(): { skip: string | false } {
  return { skip: nativeLoads() ? false : `the native uWebSockets.js build does not load on Node ${process.versions.node}` };
}

// Which engines this Node can run: the native uWS build where it loads (Node 20 here), the portable
// node:http engine everywhere. Engine-agnostic tests run once per entry; uWS-specific tests skip with
// `nativeOnly` when the native build is not there (Node 22 and later).
import { loadUws } from '../../src/http/uws.js';
import { engineNamed } from '../../src/http/engines.js';
import type { Engine } from '../../src/http/engine.js';

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

/**
 * The engine a server started by the test helpers runs on: what MOCK_ENGINE says (CI sets `portable` for the
 * whole suite on Node 24), else native (the CLI's default).
 */
export function serverEngine(): EngineName {
  const asked = process.env.MOCK_ENGINE;
  if (asked === 'portable' || (asked === 'auto' && !nativeLoads())) return 'portable';
  return 'native';
}

/** For `test(name, nativeOnly(), fn)`: a uWS fact; skipped, with the reason, where servers run on the portable engine. */
export function nativeOnly(): { skip: string | false } {
  if (!nativeLoads()) return { skip: `the native uWebSockets.js build does not load on Node ${process.versions.node}` };
  return { skip: serverEngine() === 'native' ? false : 'a uWS fact; servers run on the portable engine (MOCK_ENGINE)' };
}

/** For `test(name, portableOnly(), fn)`: how the portable engine differs from uWS; skipped where servers run on native. */
export function portableOnly(): { skip: string | false } {
  return { skip: serverEngine() === 'portable' ? false : 'a portable-engine fact; servers run on the native engine' };
}

/** The engine in-process tests build apps on: native where it loads, else portable. */
export function defaultEngine(): Engine {
  return engineNamed(nativeLoads() ? 'native' : 'portable');
}

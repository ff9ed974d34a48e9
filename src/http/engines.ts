// Which engine serves: the native uWebSockets.js build wherever it loads, the portable node:http engine
// where it does not and the user allowed it. Never silent: the CLI's default is `native`, which refuses to
// start without the build and names `--engine portable`; `auto` (the fixture's default) falls back and
// says so (the listening line, /__mock/stats and the fixture's result carry the engine's name).
import { createPortableEngine } from './portable/engine.js';
import { loadUws, nativeEngine, StartupError } from './uws.js';
import type { Engine } from './engine.js';
import type { EngineChoice } from '../config/defaults.js';

export type EngineName = Engine['name'];

/** The engine chosen for a run, and why the native one was not (null when it was, or was not wanted). */
export interface ChosenEngine {
  readonly engine: Engine;
  readonly fallbackReason: string | null;
}

let portable: Engine | null = null;

/** The engine with this name, in this thread (workers load theirs by the name the main thread chose). */
export function engineNamed(name: EngineName): Engine {
  if (name === 'native') return nativeEngine(loadUws());
  portable ??= createPortableEngine();
  return portable;
}

/**
 * Resolve --engine: native throws StartupError when the build does not load; auto falls back to portable.
 * `needs` names a setting only the portable engine serves (--proxy-protocol, --tls-ca): it is chosen then,
 * whatever was asked, and the reason says why.
 */
export function chooseEngine(choice: EngineChoice, needs: string | null = null): ChosenEngine {
  if (needs !== null && choice !== 'portable') return { engine: engineNamed('portable'), fallbackReason: needs };
  if (choice === 'portable') return { engine: engineNamed('portable'), fallbackReason: null };
  try {
    return { engine: engineNamed('native'), fallbackReason: null };
  } catch (err) {
    if (choice === 'native' || !(err instanceof StartupError)) throw err;
    return { engine: engineNamed('portable'), fallbackReason: err.message };
  }
}

// The controls a request or a configured route asks for, compiled once (controls.ts caches them): shared
// by controls.ts, which applies them, and the route context and configured routes, which pass them on.
import type { Sampler } from '../grammar/distribution.js';
import type { WeightedChoice } from '../grammar/choice.js';
import type { Sequence } from '../grammar/sequence.js';
import type { Fault } from '../grammar/fault.js';
import type { Expectations } from '../grammar/expect.js';

/** A set of controls (a request's, a configured route's or the server defaults); null = not set. */
export interface Asked {
  delay: Sampler | null;
  status: WeightedChoice<number> | null;
  size: WeightedChoice<number> | null;
  headers: Buffer[] | null;
  /** Percent; -1 when not asked. */
  close: number;
  /** Request assertions (expect-* controls, a route's `expect`): features/assertions.ts. */
  expect?: Expectations | null;
  /** Weighted faults (null picks: no fault); null when not asked. */
  fault: WeightedChoice<Fault | null> | null;
  /** Trailer fields, alternating name/value (the trailer control); null/absent: none. */
  trailers?: Buffer[] | null;
  /** Server-Timing: 1 on, 0 off, -1 (or absent) not asked. */
  timing?: number;
  /** Controls given as sequences (scenarios, docs/scenarios.md): each request takes its item; null/absent: none. */
  sequences?: readonly SequenceControl[] | null;
  /** The scenario key asked by `key=` (X-Mock or query); the X-Mock-Key header wins over it. */
  key?: string | null;
}

/** A control given as a sequence: per request, the item at the scenario's position replaces `field`. */
export interface SequenceControl {
  /** The Asked field the item replaces (delay, status, size, close, or any later weighted control). */
  readonly field: keyof Asked;
  readonly seq: Sequence<unknown>;
}

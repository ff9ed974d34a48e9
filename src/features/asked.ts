// The controls a request or a configured route asks for, compiled once (controls.ts caches them): shared
// by controls.ts, which applies them, and the route context and configured routes, which pass them on.
import type { Sampler } from '../grammar/distribution.js';
import type { WeightedChoice } from '../grammar/choice.js';
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
}

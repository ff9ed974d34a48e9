// Where each scenario (a control's sequence, per key) stands, shared by every worker: requests land on any
// worker (SO_REUSEPORT), so a per-worker position would not be exact. One SharedArrayBuffer holds a fixed
// table of slots [fingerprint, position]: the slot is chosen by a hash of key + control + sequence text,
// a second hash is the fingerprint (0 = empty), collisions probe linearly; a slot is claimed with
// compareExchange, and the position moves with compareExchange too, so concurrent requests on any worker
// each get a distinct position. A full table is refused (the caller answers 503), never grown. The main
// thread reads positions without asking the workers; the key texts reach it by message on a slot's first
// use (ScenarioBook).

/** Slots in the shared table: distinct (key, control, sequence) triples until DELETE /__mock/scenarios. */
export const MaxScenarios = 4096;
const Words = 2;
const Fingerprint = 0;
const Position = 1;

/** Allocate the shared scenario table (main thread, once; a standalone app makes its own). */
export function allocateScenarios(): SharedArrayBuffer {
  return new SharedArrayBuffer(MaxScenarios * Words * Int32Array.BYTES_PER_ELEMENT);
}

/** A slot's first use, told to the main thread so inspection can name it. */
export interface ScenarioClaim {
  readonly slot: number;
  readonly key: string;
  readonly control: string;
  readonly sequence: string;
  readonly total: number;
  readonly cycle: boolean;
}

// FNV-1a over UTF-16 code units, and a second, differently mixed hash for the fingerprint.
function hash1(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

function hash2(s: string): number {
  let h = 0x9747b28c;
  for (let i = 0; i < s.length; i++) {
    h = Math.imul(h ^ s.charCodeAt(i), 0x5bd1e995);
    h ^= h >>> 15;
  }
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) | 0;
}

/** One thread's view of the shared table. */
export class ScenarioTable {
  private readonly words: Int32Array;

  /** onClaim: told once per slot this thread claimed (the worker posts it to the main thread). */
  constructor(sab: SharedArrayBuffer, private readonly onClaim: (c: ScenarioClaim) => void = () => {}) {
    this.words = new Int32Array(sab);
  }

  /**
   * The position of this request in the sequence `sequence` of `control` for `key` ('' = no key), and the
   * step past it: total positions, then the last repeats (or, with cycle, it starts over). -1: the table is full.
   */
  advance(key: string, control: string, sequence: string, total: number, cycle: boolean): number {
    const id = `${key}\u0000${control}\u0000${sequence}`;
    const w = this.words;
    const fp = hash2(id) || 1;
    let s = hash1(id) % MaxScenarios;
    for (let probe = 0; probe < MaxScenarios; probe++) {
      const at = s * Words;
      let f = Atomics.load(w, at + Fingerprint);
      if (f === 0) {
        f = Atomics.compareExchange(w, at + Fingerprint, 0, fp);
        if (f === 0) {
          this.onClaim({ slot: s, key, control, sequence, total, cycle });
          return this.step(at + Position, total, cycle);
        }
      }
      if (f === fp) return this.step(at + Position, total, cycle);
      s = s + 1 === MaxScenarios ? 0 : s + 1;
    }
    return -1;
  }

  // Without cycle the position stops at total (the last item repeats); with it, it wraps to 0.
  private step(i: number, total: number, cycle: boolean): number {
    const w = this.words;
    for (;;) {
      const old = Atomics.load(w, i);
      if (!cycle && old >= total) return total - 1;
      const next = cycle ? (old + 1 >= total ? 0 : old + 1) : old + 1;
      if (Atomics.compareExchange(w, i, old, next) === old) return old;
    }
  }

  /** The position of a slot, or -1 when it is empty. */
  position(slot: number): number {
    const at = slot * Words;
    return Atomics.load(this.words, at + Fingerprint) === 0 ? -1 : Atomics.load(this.words, at + Position);
  }

  /** Back to the start: this slot's sequence begins again (the slot stays claimed, so probe chains hold). */
  rewind(slot: number): void {
    Atomics.store(this.words, slot * Words + Position, 0);
  }

  /** Empty the whole table (meant for when no sequenced request is in flight: see docs/scenarios.md). */
  clear(): void {
    for (let i = 0; i < this.words.length; i++) Atomics.store(this.words, i, 0);
  }

  /** Slots in use. */
  used(): number {
    let n = 0;
    for (let s = 0; s < MaxScenarios; s++) if (Atomics.load(this.words, s * Words + Fingerprint) !== 0) n++;
    return n;
  }
}

/** One scenario as GET /__mock/scenarios lists it. */
export interface ScenarioView {
  readonly key: string | null;
  readonly control: string | null;
  readonly sequence: string | null;
  /** Requests answered so far (stops at length without cycle; wraps with it). */
  readonly position: number;
  readonly length: number | null;
  readonly cycle: boolean | null;
  /** Past its last item (which now repeats); always false with cycle. */
  readonly done: boolean;
}

/** The main thread's side: the names of the slots (told by the workers), inspection and reset. */
export class ScenarioBook {
  private readonly names = new Map<number, ScenarioClaim>();
  readonly table: ScenarioTable;

  constructor(sab: SharedArrayBuffer) {
    this.table = new ScenarioTable(sab);
  }

  /** A worker claimed a slot (bounded: one entry per slot of the table). */
  claimed(c: ScenarioClaim): void {
    if (c.slot >= 0 && c.slot < MaxScenarios) this.names.set(c.slot, c);
  }

  /** Every scenario in use (those of `key` only, when given), in slot order. */
  list(key: string | null): ScenarioView[] {
    const out: ScenarioView[] = [];
    for (let s = 0; s < MaxScenarios; s++) {
      const position = this.table.position(s);
      if (position < 0) continue;
      const n = this.names.get(s);
      if (key !== null && n?.key !== key) continue;
      // A slot whose claim message has not arrived yet is listed unnamed.
      out.push(n === undefined
        ? { key: null, control: null, sequence: null, position, length: null, cycle: null, done: false }
        : { key: n.key, control: n.control, sequence: n.sequence, position, length: n.total, cycle: n.cycle, done: !n.cycle && position >= n.total });
    }
    return out;
  }

  /** Reset: every scenario of `key` starts over (returns how many), or, with no key, the table is emptied. */
  reset(key: string | null): number {
    if (key === null) {
      const n = this.table.used();
      this.table.clear();
      this.names.clear();
      return n;
    }
    let n = 0;
    for (const [slot, c] of this.names) {
      if (c.key !== key) continue;
      this.table.rewind(slot);
      n++;
    }
    return n;
  }
}

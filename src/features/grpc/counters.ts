// gRPC calls counted by method and status: one Float64 cell per (method, status code). The cells may be a
// view into shared memory (the lead can place them in the workers' SharedArrayBuffer so /__mock/stats and
// the metrics read every worker without asking); by default they are this worker's own.
import { CodeCount, CodeNames } from './framing.js';

/** Cells needed for `methods` methods plus the row of unknown paths. */
export function grpcCounterCells(methods: number): number {
  return (methods + 1) * CodeCount;
}

/** One row of a counters snapshot. */
export interface GrpcCallCount {
  /** `/package.Service/Method`, or "unknown" for paths no method serves. */
  readonly method: string;
  /** Status name (OK, CANCELLED, ...). */
  readonly status: string;
  readonly code: number;
  readonly calls: number;
}

/** Calls by method and status code; `count` is two array operations. */
export class GrpcCounters {
  readonly cells: Float64Array;

  /** `names`: method paths by method index; `cells` (optional) a view of at least grpcCounterCells(names.length). */
  constructor(readonly names: readonly string[], cells?: Float64Array) {
    const need = grpcCounterCells(names.length);
    if (cells !== undefined && cells.length < need) throw new RangeError(`gRPC counters need ${need} cells, got ${cells.length}`);
    this.cells = cells ?? new Float64Array(need);
  }

  /** The row index that counts calls to unknown methods. */
  get unknownRow(): number {
    return this.names.length;
  }

  /** Count one call of method row `method` that ended with `code`. */
  count(method: number, code: number): void {
    this.cells[method * CodeCount + code]++;
  }

  /** Calls of one method (row) with one code. */
  get(method: number, code: number): number {
    return this.cells[method * CodeCount + code];
  }

  /** Every non-zero (method, status) count, for stats and metrics. */
  snapshot(): GrpcCallCount[] {
    const out: GrpcCallCount[] = [];
    for (let m = 0; m <= this.names.length; m++) {
      for (let c = 0; c < CodeCount; c++) {
        const calls = this.cells[m * CodeCount + c];
        if (calls > 0) out.push({ method: m < this.names.length ? this.names[m] : 'unknown', status: CodeNames[c], code: c, calls });
      }
    }
    return out;
  }
}

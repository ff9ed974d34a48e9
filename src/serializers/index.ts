// The precompiled serializers (see schemas.ts and build.ts), loaded synchronously.
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

function load<T>(name: string): (value: T) => string {
  try {
    return require(`./generated/${name}.cjs`) as (value: T) => string;
  } catch (err) {
    throw new Error(`serializer ${name} is not built: run npm run build`, { cause: err });
  }
}

/** {"error": ..., "param"?: ...} */
export const serializeError = load<{ error: string; param?: string; errors?: string[] }>('error');
/** A string as a JSON string literal (quotes included): template placeholder values. */
export const serializeTemplateValue = load<string>('templateValue');
/** go-bench-suite /echo body. */
export const serializeEcho = load<Record<string, unknown>>('echo');
/** httpbin /headers body. */
export const serializeHeaders = load<{ headers: Record<string, string> }>('headers');
/** httpbin /anything body. */
export const serializeAnything = load<Record<string, unknown>>('anything');
/** /__mock/stats body. */
export const serializeStats = load<Record<string, unknown>>('stats');
/** /__mock/routes replies. */
export const serializeRoutes = load<{ routes: readonly unknown[]; workers: number; replaced: number }>('routes');
/** GET /__mock/requests body. */
export const serializeJournal = load<{ requests: readonly unknown[]; count: number; workers: number; missingWorkers: number[] }>('journal');
/** /__mock/test/gc body (test and bench only). */
export const serializeHeap = load<{ workers: { id: number; heapUsedBytes: number }[]; rssBytes: number; missingWorkers: number[] }>('heap');

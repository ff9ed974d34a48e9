// The admin endpoint of gRPC health: GET lists every service's serving status, POST sets one
// ({"service":"x","status":"NOT_SERVING"}; SERVICE_UNKNOWN forgets the service). The change must reach every
// worker: `broadcast` carries it (the lead wires it to the main thread, like runtime routes); without it the
// change applies to this worker's table only, which is the whole server with one worker.
import { DepthError, parseBoundedJson } from '../../http/depth.js';
import { answerFailure } from '../../http/contain.js';
import { sendError } from '../../http/errors.js';
import { makeHead } from '../../http/head.js';
import type { HttpRequest, HttpResponse } from '../../http/uws.js';
import type { Route, RouteContext } from '../context.js';
import { ServingStatusNames, type HealthTable, type ServingStatusName } from './health.js';
import { quoteValue } from '../../grammar/errors.js';

/** What the admin route needs. */
export interface HealthAdminDeps {
  readonly ctx: Pick<RouteContext, 'writer' | 'bodies' | 'config'>;
  /** This worker's table: GET reads it, and it is what changes when there is no broadcast. */
  readonly health: HealthTable;
  /** Apply a change in every worker (resolves once all have it; rejects with a reason otherwise). */
  readonly broadcast?: (service: string, status: ServingStatusName) => Promise<void>;
}

/** Most bytes of a service name (grpc service names are short; this bounds what one POST can store). */
export const MaxServiceNameBytes = 512;

const JsonHead = makeHead(200, 'application/json', [['Cache-Control', 'no-store']]);

/** The `POST|GET {adminPrefix}grpc/health` route. */
export function grpcHealthRoutes(deps: HealthAdminDeps): Route[] {
  const { ctx, health } = deps;
  const path = `${ctx.config.adminPrefix}grpc/health`;
  const apply = deps.broadcast ?? ((service: string, status: ServingStatusName): Promise<void> => {
    health.set(service, status);
    return Promise.resolve();
  });
  const listing = (): Buffer => Buffer.from(JSON.stringify({ services: health.list() }));

  const handler = (res: HttpResponse, req: HttpRequest): void => {
    const m = req.getMethod();
    if (m === 'get') {
      ctx.writer.sendBody(res, JsonHead, listing());
      return;
    }
    if (m !== 'post') {
      sendError(ctx.writer, res, 405, `${m.toUpperCase()} ${path}: use GET (list) or POST {"service":"name","status":"NOT_SERVING"}`, 'method');
      return;
    }
    ctx.bodies.collect(res, req.getHeader('content-length'), ctx.config.maxBodyBytes, (r, body) => {
      let value: unknown;
      try {
        value = parseBoundedJson(body.toString('utf8'));
      } catch (err) {
        sendError(ctx.writer, r, 400, err instanceof DepthError ? err.message : `the body is not JSON: ${(err as Error).message}`, 'body');
        return;
      }
      const change = readChange(value);
      if (typeof change === 'string') {
        sendError(ctx.writer, r, 400, change, 'body');
        return;
      }
      let aborted = false;
      r.onAborted(() => {
        aborted = true;
      });
      apply(change.service, change.status).then(() => {
        if (!aborted) r.cork(() => ctx.writer.sendBody(r, JsonHead, listing()));
      }).catch((err: unknown) => {
        if (!aborted) answerFailure(ctx.writer, r, `gRPC health not changed: ${(err as Error)?.message ?? String(err)}`);
      });
    });
  };
  return [{ pattern: path, handler, about: 'gRPC health: GET lists serving statuses, POST {"service":"x","status":"NOT_SERVING"} sets one' }];
}

/** The change a POST body asks for, or why it is refused. */
export function readChange(value: unknown): { service: string; status: ServingStatusName } | string {
  const hint = `send {"service":"name","status":"${ServingStatusNames.join('|')}"} ("" is the whole server; SERVICE_UNKNOWN forgets a service)`;
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return `expected a JSON object: ${hint}`;
  const { service, status } = value as { service?: unknown; status?: unknown };
  if (typeof service !== 'string') return `"service" must be a string: ${hint}`;
  if (Buffer.byteLength(service) > MaxServiceNameBytes) return `"service" is longer than ${MaxServiceNameBytes} bytes`;
  if (typeof status !== 'string' || !ServingStatusNames.includes(status)) return `"status" must be one of ${ServingStatusNames.join(', ')}: ${hint}`;
  for (const key of Object.keys(value)) {
    if (key !== 'service' && key !== 'status') return `unknown field ${quoteValue(key)}: ${hint}`;
  }
  return { service, status: status as ServingStatusName };
}

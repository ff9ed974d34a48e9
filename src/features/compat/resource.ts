// go-bench-suite's /resource: 100 seeded resources, a page of them or one by id, every body precomputed.
import { MaxQueryNumber, wholeNumber } from '../../grammar/integer.js';
import { GrammarError } from '../../grammar/errors.js';
import { sendBadValue, sendError } from '../../http/errors.js';
import { makeHead } from '../../http/head.js';
import { makeFiller } from '../../http/filler.js';
import type { Responder } from '../../http/scheduler.js';
import type { Route, RouteContext } from '../context.js';

const JsonHead = makeHead(200, 'application/json');

/** Number of seeded resources behind /resource. */
export const ResourceCount = 100;
/** Default page size of /resource, as in go-bench-suite. */
export const DefaultResourceLimit = 10;

/** The seeded resources: the same names in every worker and every run, so workers agree. */
export function seedResources(): { Id: number; Name: string }[] {
  const letters = makeFiller(ResourceCount * 10, 0x5eed).toString('latin1');
  return Array.from({ length: ResourceCount }, (_, i) => ({ Id: i, Name: letters.slice(i * 10, i * 10 + 10) }));
}

/** /resource and /resource/:id. */
export function resourceRoutes(ctx: RouteContext): Route[] {
  const { writer } = ctx;
  const fixed: Responder = { send(res, arg) { writer.sendBody(res, JsonHead, arg as Buffer); } };
  const resources = seedResources();
  // Every page of /resource precomputed: 101 small bodies beat building one per request.
  const pages: Buffer[] = [];
  for (let n = 0; n <= ResourceCount; n++) {
    const page: Record<number, { Id: number; Name: string }> = {};
    for (let i = 0; i < n; i++) page[i] = resources[i];
    pages.push(Buffer.from(JSON.stringify(page)));
  }
  const single = resources.map((r) => Buffer.from(JSON.stringify(r)));
  return [
    { pattern: '/resource', about: 'the first ?limit=N (default 10) of 100 seeded resources keyed by id',
      handler: (res, req) => {
        const text = req.getQuery('limit') ?? '';
        let n = DefaultResourceLimit;
        if (text !== '') {
          n = wholeNumber(text);
          if (n < 0 || n > MaxQueryNumber) {
            sendError(writer, res, 400, `invalid limit "${text}": use a whole number; 0 means the default ${DefaultResourceLimit}, above ${ResourceCount} gives all ${ResourceCount}`, 'limit');
            return;
          }
          // go-bench-suite treats 0 as "not given".
          if (n === 0) n = DefaultResourceLimit;
        }
        ctx.respond(res, req, fixed, pages[Math.min(n, ResourceCount)], 0, 0);
      } },
    { pattern: '/resource/:id', about: 'one resource by id (0-99), 404 JSON if absent',
      handler: (res, req) => {
        const text = req.getParameter(0);
        const id = wholeNumber(text);
        if (id < 0 || id > MaxQueryNumber) {
          sendBadValue(writer, res, new GrammarError('id', `invalid resource id "${text}": use a whole number from 0 to ${ResourceCount - 1}`));
          return;
        }
        if (id >= ResourceCount) {
          sendError(writer, res, 404, `resource ${id} not found: ids are 0 to ${ResourceCount - 1}`, 'id');
          return;
        }
        ctx.respond(res, req, fixed, single[id], 0, 0);
      } },
  ];
}

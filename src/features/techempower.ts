// TechEmpower / Lwan style routes: constant bodies, precomputed.
import { prepare } from '../http/head.js';
import type { Responder } from '../http/scheduler.js';
import type { Route, RouteContext } from './context.js';

const HelloJson = prepare(200, 'application/json', '{"message":"Hello, World!"}');
const HelloText = prepare(200, 'text/plain', 'Hello, World!');

/** The TechEmpower route table. */
export function techEmpowerRoutes(ctx: RouteContext): Route[] {
  const { writer } = ctx;
  const json: Responder = { send(res) { writer.send(res, HelloJson); } };
  const text: Responder = { send(res) { writer.send(res, HelloText); } };
  return [
    { pattern: '/json', about: '{"message":"Hello, World!"}',
      handler: (res, req) => ctx.respond(res, req, json, null, 0, 0) },
    { pattern: '/plaintext', about: 'Hello, World!',
      handler: (res, req) => ctx.respond(res, req, text, null, 0, 0) },
  ];
}

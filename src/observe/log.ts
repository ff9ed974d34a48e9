// The logger: pino JSON on stdout. Nothing logs per request unless the access log is on.
import { pino, type Logger } from 'pino';

export type { Logger };

/** A pino logger writing synchronously: logs are rare, and ordering with exit matters more than speed. */
export function createLogger(level: string): Logger {
  return pino(
    { level, base: { pid: process.pid }, formatters: { level: (label) => ({ level: label }) } },
    pino.destination({ fd: 1, sync: true }),
  );
}

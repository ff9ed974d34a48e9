// The value parsers of the server settings that have a grammar, one per setting. Flags, environment
// variables and the config file's `server` object all go through these, so each source accepts exactly
// the same values; a rejected value throws GrammarError, which the caller turns into a usage error
// (flag, env: exit 2) or a config-file error at its JSON path (`/server/grace: ...`, exit 1).
import { parseLatency, parseStatusChoice } from '../grammar/distribution.js';
import { parseDuration } from '../grammar/duration.js';
import { GrammarError, quoteValue } from '../grammar/errors.js';
import { parsePercent } from '../grammar/percent.js';
import { parseSize } from '../grammar/size.js';
import { HeaderToken } from './defaults.js';

/** Longest --grace and --max-delay (ms). */
export const MaxSettingDurationMs = 24 * 3600_000;

/** What a setting's value may depend on: the effective --max-delay caps --default-delay. */
export interface SettingContext {
  readonly maxDelayMs: number;
}

/** A setting's parser: the value as text and where it came from (for the message). */
export type SettingParser<T> = (text: string, param: string, context: SettingContext) => T;

/** Header names the journal redacts: comma-separated, or `none` for none. */
function parseHeaderList(text: string, param: string): readonly string[] {
  if (text.trim().toLowerCase() === 'none') return [];
  const names = text.split(',').map((h) => h.trim().toLowerCase()).filter((h) => h !== '');
  const bad = names.find((h) => !HeaderToken.test(h));
  if (bad !== undefined || names.length === 0) {
    throw new GrammarError(param, `invalid header list ${quoteValue(text)} for ${param}: use comma-separated header names (e.g. authorization,cookie) or none`);
  }
  return names;
}

/**
 * The grammar settings, keyed by their config-file name (the flag is the kebab-case form: maxBody is
 * --max-body). The latency and status expressions are only checked here; workers compile their own copy.
 */
export const SettingParsers = {
  grace: (t, p) => parseDuration(t, p, MaxSettingDurationMs),
  maxBody: (t, p) => parseSize(t, p, 2 ** 32),
  maxDelay: (t, p) => parseDuration(t, p, MaxSettingDurationMs),
  maxSize: (t, p) => parseSize(t, p, 2 ** 40),
  defaultDelay: (t, p, c) => { parseLatency(t, p, c.maxDelayMs); return t; },
  defaultStatus: (t, p) => { parseStatusChoice(t, p); return t; },
  defaultClose: (t, p) => parsePercent(t, p),
  journalBody: (t, p) => parseSize(t, p, 2 ** 30),
  journalRedact: (t, p) => parseHeaderList(t, p),
} satisfies Record<string, SettingParser<unknown>>;

export type GrammarSetting = keyof typeof SettingParsers;

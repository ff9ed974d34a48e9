// Reading request bodies the way the APIs check them: each helper throws the AiInputError (message, param,
// code) the service would answer with, in OpenAI's wording; messages.ts words Anthropic's its own way.
import { quoteValue } from '../../grammar/errors.js';
import { AiInputError } from './errors.js';
import { countTokens } from './tokens.js';

/** `body.model`, a non-empty string. */
export function readModel(body: Record<string, unknown>): string {
  const m = body.model;
  if (typeof m !== 'string' || m.length === 0) throw new AiInputError('you must provide a model parameter', null, null);
  return m;
}

/** An optional boolean (`stream`); false when absent. */
export function readBool(body: Record<string, unknown>, name: string): boolean {
  const v = body[name];
  if (v === undefined || v === null) return false;
  if (typeof v !== 'boolean') throw new AiInputError(`Invalid type for '${name}': expected a boolean, but got ${typeName(v)} instead.`, name, 'invalid_type');
  return v;
}

/** `stream_options.include_usage`. */
export function includeUsage(body: Record<string, unknown>): boolean {
  const o = body.stream_options;
  return o !== null && typeof o === 'object' && (o as Record<string, unknown>).include_usage === true;
}

/** The first of `names` that is set, a whole number >= min; -1 when none is set. */
export function readMaxTokens(body: Record<string, unknown>, names: readonly string[], min = 1): number {
  for (const name of names) {
    const v = body[name];
    if (v === undefined || v === null) continue;
    if (typeof v !== 'number' || !Number.isInteger(v)) {
      throw new AiInputError(`Invalid type for '${name}': expected an integer, but got ${typeName(v)} instead.`, name, 'invalid_type');
    }
    if (v < min) {
      throw new AiInputError(`Invalid '${name}': integer below minimum value. Expected a value >= ${min}, but got ${v} instead.`, name, 'integer_below_min_value');
    }
    return v;
  }
  return -1;
}

/** The text of a message content: a string, or the `text` of each part of an array ({type: "text", text}). */
export function contentText(content: unknown): string {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return '';
  let s = '';
  for (const part of content) {
    if (part !== null && typeof part === 'object' && typeof (part as { text?: unknown }).text === 'string') {
      s += (s === '' ? '' : ' ') + (part as { text: string }).text;
    }
  }
  return s;
}

/** A list of chat messages: its prompt tokens and its last user text (param: where it came from). */
export function readMessages(list: unknown, param: string): { tokens: number; lastUser: string } {
  if (list === undefined || list === null) throw new AiInputError(`Missing required parameter: '${param}'.`, param, 'missing_required_parameter');
  if (!Array.isArray(list)) throw new AiInputError(`Invalid type for '${param}': expected an array of objects, but got ${typeName(list)} instead.`, param, 'invalid_type');
  if (list.length === 0) {
    throw new AiInputError(`Invalid '${param}': empty array. Expected an array with minimum length 1, but got an empty array instead.`, param, 'empty_array');
  }
  let tokens = 0;
  let lastUser = '';
  for (let i = 0; i < list.length; i++) {
    const m = list[i] as Record<string, unknown> | null;
    if (m === null || typeof m !== 'object' || Array.isArray(m)) {
      throw new AiInputError(`Invalid type for '${param}[${i}]': expected an object, but got ${typeName(m)} instead.`, `${param}[${i}]`, 'invalid_type');
    }
    if (typeof m.role !== 'string') throw new AiInputError(`Missing required parameter: '${param}[${i}].role'.`, `${param}[${i}].role`, 'missing_required_parameter');
    const text = contentText(m.content);
    tokens += countTokens(text);
    if (m.role === 'user') lastUser = text;
  }
  return { tokens, lastUser };
}

/** What JSON type a value is, in the APIs' words. */
export function typeName(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'object') return 'an object';
  if (typeof v === 'string') return 'a string';
  if (typeof v === 'number') return Number.isInteger(v) ? 'an integer' : 'a decimal';
  return `a ${typeof v}`;
}

/** A client value as an error message shows it, bounded: strings quoted (quoteValue), numbers as written, else its type. */
export function shownValue(v: unknown): string {
  if (typeof v === 'string') return quoteValue(v);
  if (typeof v === 'number' || typeof v === 'boolean' || v === null) return String(v);
  return typeName(v);
}

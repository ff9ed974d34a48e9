// Bounded JSON nesting: a linear pre-scan run before JSON.parse on client bytes. JSON.parse and the structured
// clone of postMessage both recurse, so a body of 20,000 '[' overflows the stack; this scan does not recurse.
import { MaxJsonDepth } from '../config/defaults.js';

/**
 * Deepest bracket nesting in `text` outside strings, stopping as soon as it passes `limit`
 * (returns limit + 1 then). Linear in the text, no allocation; invalid JSON is left to JSON.parse.
 */
export function jsonDepth(text: string, limit: number = MaxJsonDepth): number {
  let depth = 0;
  let max = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++; // backslash: skip the escaped character
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) {
      inString = true;
    } else if (c === 0x5b || c === 0x7b) {
      if (++depth > max) {
        max = depth;
        if (max > limit) return max;
      }
    } else if (c === 0x5d || c === 0x7d) {
      depth--;
    }
  }
  return max;
}

/** The 400 reason for a body nested past the limit. */
export function tooDeepMessage(limit: number = MaxJsonDepth): string {
  return `the body is JSON nesting deeper than ${limit} levels: flatten it`;
}

/** Parse client JSON, refusing nesting past MaxJsonDepth before JSON.parse can recurse (throws DepthError). */
export function parseBoundedJson(text: string): unknown {
  if (jsonDepth(text) > MaxJsonDepth) throw new DepthError(tooDeepMessage());
  return JSON.parse(text);
}

/** Thrown by parseBoundedJson for a body nested too deep. */
export class DepthError extends Error {}

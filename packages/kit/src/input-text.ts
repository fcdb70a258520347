import type { ErrorDetail } from '@authorworks/domain';
import { badRequest } from './errors.ts';

/**
 * What every client value must satisfy before a schema sees it, whatever the route: every string
 * (and object key) is text PostgreSQL can store — no NUL (`text` and `jsonb` reject U+0000) and no
 * unpaired surrogate (not encodable as UTF-8; silently turning it into U+FFFD would change the
 * user's text) — and nothing nests deeper than MAX_INPUT_DEPTH. The depth bound matters inside a
 * component: zod validates recursive schemas (`z.json()`) recursively, and the engine traps
 * (`unreachable`, a 500) somewhere between 250 and 400 levels; JSON.parse itself copes.
 */
export const MAX_INPUT_DEPTH = 32;

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

type WellFormedCheck = (text: string) => boolean;
const nativeWellFormed = (String.prototype as { isWellFormed?: (this: string) => boolean }).isWellFormed;
/** Native where the engine has it (ES2024); the regex elsewhere (it works on UTF-16 code units). */
const isWellFormed: WellFormedCheck = nativeWellFormed ? (text) => nativeWellFormed.call(text) : (text) => !LONE_SURROGATE.test(text);

/** Why `text` cannot be stored as PostgreSQL text, or undefined when it can. */
export function unstorableText(text: string): string | undefined {
  if (text.includes('\u0000')) return 'Must not contain the NUL character (U+0000)';
  if (!isWellFormed(text)) return 'Must not contain an unpaired UTF-16 surrogate';
  return undefined;
}

interface Pending {
  value: unknown;
  depth: number;
  key: string;
  parent: Pending | undefined;
}

function pathOf(entry: Pending, part: string): string {
  const keys: string[] = [];
  for (let at: Pending | undefined = entry; at?.parent; at = at.parent) keys.push(at.key);
  return [part, ...keys.reverse()].join('.');
}

/**
 * The first problem in `value` (parsed JSON, a query object or route params), as an error detail
 * whose path starts with `part`; undefined when it is fine. Iterative, so a deep value cannot
 * exhaust the stack while being checked.
 */
export function inputProblem(part: string, value: unknown, maxDepth = MAX_INPUT_DEPTH): ErrorDetail | undefined {
  const stack: Pending[] = [{ value, depth: 0, key: '', parent: undefined }];
  while (stack.length > 0) {
    const entry = stack.pop()!;
    const current = entry.value;
    if (typeof current === 'string') {
      const problem = unstorableText(current);
      if (problem) return { path: pathOf(entry, part), message: problem, code: 'unstorable_text' };
      continue;
    }
    if (current === null || typeof current !== 'object') continue;
    if (entry.depth >= maxDepth) return { path: pathOf(entry, part), message: `Nested deeper than ${maxDepth} levels`, code: 'too_deep' };
    if (Array.isArray(current)) {
      for (let i = current.length - 1; i >= 0; i--) stack.push({ value: current[i], depth: entry.depth + 1, key: String(i), parent: entry });
      continue;
    }
    for (const [key, item] of Object.entries(current)) {
      const problem = unstorableText(key);
      if (problem) return { path: pathOf({ value: item, depth: 0, key, parent: entry }, part), message: `Key: ${problem}`, code: 'unstorable_text' };
      stack.push({ value: item, depth: entry.depth + 1, key, parent: entry });
    }
  }
  return undefined;
}

/** Throws 400 `validation_failed` naming the field when `value` holds something no service may store. */
export function assertStorableInput(part: string, value: unknown): void {
  const problem = inputProblem(part, value);
  if (problem) throw badRequest('validation_failed', `The request ${part} is not valid`, [problem]);
}

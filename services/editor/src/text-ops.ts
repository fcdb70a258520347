// The operations of the editor: ot-text-unicode's plain-text type (the maintained successor of
// ShareJS's text type). An operation is a list of components read left to right over the
// document: a positive integer retains (skips) that many characters, a string inserts it, and
// `{ d: n }` deletes n characters. Positions and counts are Unicode code points, so an emoji
// is one character and no operation can split a surrogate pair.
import fastDiff from 'fast-diff';
import { type TextOp, type TextOpComponent, type as textType } from 'ot-text-unicode';
import { HttpError, badRequest } from '@authorworks/kit';
import { z } from 'zod';

/**
 * Limits of one request. A client that types sends a few components at a time; a paste is one
 * insert. The document itself is bounded by the chapter limit (DOCUMENT_MAX_BYTES).
 */
export const OP_LIMITS = {
  /** Components in one request's operation. */
  components: 1000,
  /** Characters (UTF-16 code units, as JSON counts them) inserted by one request. */
  insertedChars: 256 * 1024,
} as const;

/**
 * The chapter limit: 2 MiB of UTF-8 text, what the content service stores in one version with
 * room for JSON escapes in its 4 MiB body (services/content/src/chapters.ts).
 */
export const DOCUMENT_MAX_BYTES = 2 * 1024 * 1024;

/** Positions and counts: a PostgreSQL integer is more than any document of DOCUMENT_MAX_BYTES holds. */
const Count = z.number().int().min(1).max(2_147_483_647);

export const OpComponent = z.union([
  Count.describe('retain this many characters'),
  z.string().min(1).describe('insert this text'),
  // `{ d: "text" }` is the invertible form some clients send; only its length counts.
  z.strictObject({ d: z.union([Count, z.string().min(1)]) }).describe('delete this many characters'),
]);

/**
 * An operation as a client sends it: validated for shape, not yet against a document. Its size
 * is bounded by the request body limit here and by OP_LIMITS in canonicalOp (413, not 400).
 */
export const Operation = z.array(OpComponent);
export type Operation = TextOp;

const encoder = new TextEncoder();

/** Length in code points (what positions count). */
export function codePoints(text: string): number {
  let count = text.length;
  for (let i = 0; i < text.length; i++) {
    const unit = text.charCodeAt(i);
    if (unit >= 0xd800 && unit <= 0xdbff) count--;
  }
  return count;
}

export function utf8Bytes(text: string): number {
  return encoder.encode(text).length;
}

function deleteLength(d: number | string): number {
  return typeof d === 'number' ? d : codePoints(d);
}

/**
 * The client's operation in canonical form: deletes as counts, adjacent components of one kind
 * merged, a trailing retain dropped (ot-text-unicode's own normalisation). Too large → 413.
 */
export function canonicalOp(op: readonly TextOpComponent[]): TextOp {
  if (op.length > OP_LIMITS.components) {
    throw new HttpError(413, 'operation_too_large', `One request may hold at most ${OP_LIMITS.components} components`, {
      details: [{ path: 'body.ops', message: `Holds ${op.length} components` }],
    });
  }
  let inserted = 0;
  for (const component of op) if (typeof component === 'string') inserted += component.length;
  if (inserted > OP_LIMITS.insertedChars) {
    throw new HttpError(413, 'operation_too_large', `One request may insert at most ${OP_LIMITS.insertedChars} characters`, {
      details: [{ path: 'body.ops', message: `Inserts ${inserted} characters` }],
    });
  }
  const counted = op.map((component) => (typeof component === 'object' ? { d: deleteLength(component.d) } : component));
  return textType.normalize(counted);
}

/** How many characters the operation reads from the document it applies to. */
export function inputLength(op: TextOp): number {
  let length = 0;
  for (const component of op) {
    if (typeof component === 'number') length += component;
    else if (typeof component === 'object') length += deleteLength(component.d);
  }
  return length;
}

/** Length of the document after `op` on a document of `length` characters. */
export function outputLength(op: TextOp, length: number): number {
  let result = length;
  for (const component of op) {
    if (typeof component === 'string') result += codePoints(component);
    else if (typeof component === 'object') result -= deleteLength(component.d);
  }
  return result;
}

/** 400 unless `op` stays inside a document of `length` characters (ot-text-unicode would clip a delete past the end). */
export function assertFits(op: TextOp, length: number): void {
  const reads = inputLength(op);
  if (reads > length) {
    throw badRequest('operation_out_of_range', `The operation reads ${reads} characters but the document had ${length} at its base version`, [
      { path: 'body.ops', message: 'Retains and deletes go past the end of the document' },
    ]);
  }
}

/**
 * `op` (made against the version before `concurrent`) rewritten to apply after it. The
 * incoming operation takes the left side: of two inserts at one position, the later-committed
 * one lands first. Clients transform their pending operations the same way (left), and the
 * server's operations they receive with the other side (right), which is what makes them converge.
 */
export function transformOp(op: TextOp, concurrent: TextOp): TextOp {
  return textType.transform(op, concurrent, 'left');
}

export function applyOp(text: string, op: TextOp): string {
  return textType.apply(text, op);
}

export function composeOps(first: TextOp, second: TextOp): TextOp {
  return textType.compose(first, second);
}

/**
 * Where `position` is after `op`. `bias` decides text inserted exactly at the position: `before`
 * keeps the position before it (ot-text-unicode's transformPosition does the same), `after`
 * moves it past. A position inside deleted text goes to where the deletion was.
 */
export function transformPosition(position: number, op: TextOp, bias: 'before' | 'after' = 'before'): number {
  let oldAt = 0;
  let newAt = 0;
  for (const component of op) {
    if (typeof component === 'number') {
      if (position < oldAt + component) return newAt + (position - oldAt);
      oldAt += component;
      newAt += component;
    } else if (typeof component === 'string') {
      if (oldAt === position && bias === 'before') return newAt;
      newAt += codePoints(component);
    } else {
      const deleted = deleteLength(component.d);
      if (position < oldAt + deleted) return newAt;
      oldAt += deleted;
    }
  }
  return newAt + (position - oldAt);
}

/**
 * A range [start, end) after `op`: text typed at either edge stays outside it, text typed inside
 * grows it, and when all of its text is deleted it collapses to a point (start === end) where
 * the text was.
 */
export function transformRange(range: { start: number; end: number }, op: TextOp): { start: number; end: number } {
  const start = transformPosition(range.start, op, 'after');
  const end = transformPosition(range.end, op, 'before');
  return { start, end: Math.max(start, end) };
}

/**
 * The operation turning `before` into `after`, from a character diff (fast-diff, which never
 * splits a surrogate pair), counted in code points. Empty when they are equal.
 */
export function diffToOp(before: string, after: string): TextOp {
  const op: TextOpComponent[] = [];
  for (const [kind, text] of fastDiff(before, after)) {
    if (kind === fastDiff.EQUAL) op.push(codePoints(text));
    else if (kind === fastDiff.INSERT) op.push(text);
    else op.push({ d: codePoints(text) });
  }
  return textType.normalize(op);
}

import type { ErrorDetail } from '@authorworks/domain';
import type { z } from 'zod';
import { badRequest } from './errors.ts';
import { assertStorableInput } from './input-text.ts';

/** Where a value came from; it prefixes the field paths in error details (`body.email`). */
export type InputPart = 'params' | 'query' | 'body' | 'headers';

export function issueDetails(part: InputPart, issues: readonly z.core.$ZodIssue[]): ErrorDetail[] {
  return issues.map((issue) => ({
    path: [part, ...issue.path.map(String)].join('.'),
    message: issue.message,
    code: issue.code,
  }));
}

/**
 * Parses `value` with `schema`, or throws 400 `validation_failed` naming each bad field. Before
 * any schema runs, the value must be storable text nested no deeper than the kit allows
 * (input-text.ts), so no route can forget it.
 */
export function validate<Schema extends z.ZodType>(part: InputPart, schema: Schema, value: unknown): z.output<Schema> {
  assertStorableInput(part, value);
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  throw badRequest('validation_failed', `The request ${part} is not valid`, issueDetails(part, result.error.issues));
}

/**
 * The query string as an object: a key given once is a string, a repeated key an array, so a
 * schema can accept `?tag=a&tag=b`.
 */
export function queryObject(url: URL): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const [key, value] of url.searchParams) {
    const existing = out[key];
    if (existing === undefined) out[key] = value;
    else if (Array.isArray(existing)) existing.push(value);
    else out[key] = [existing, value];
  }
  return out;
}

/** True when a body schema accepts `undefined` (`Schema.optional()`): the request may then send no body. */
export function bodyIsOptional(schema: z.ZodType): boolean {
  return schema.safeParse(undefined).success;
}

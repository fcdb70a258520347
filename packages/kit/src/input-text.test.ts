import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { HttpError } from './errors.ts';
import { MAX_INPUT_DEPTH, assertStorableInput, inputProblem, unstorableText } from './input-text.ts';
import { validate } from './validation.ts';

const nested = (depth: number): unknown => {
  let value: unknown = 'leaf';
  for (let i = 0; i < depth; i++) value = { a: value };
  return value;
};

describe('storable input', () => {
  it('accepts ordinary text, including astral characters made of surrogate pairs', () => {
    expect(unstorableText('Ada — 🚂 Lovelace')).toBeUndefined();
    expect(inputProblem('body', { title: 'ok', tags: ['😀', 'é'], n: 1, flag: true, none: null })).toBeUndefined();
  });

  it.each([
    ['a NUL character', 'abc\u0000def', 'Must not contain the NUL character (U+0000)'],
    ['a lone high surrogate', 'abc\uD83D', 'Must not contain an unpaired UTF-16 surrogate'],
    ['a lone low surrogate', '\uDE00abc', 'Must not contain an unpaired UTF-16 surrogate'],
    ['surrogates in the wrong order', '\uDE00\uD83D', 'Must not contain an unpaired UTF-16 surrogate'],
  ])('refuses %s and names the field', (_name, text, message) => {
    expect(inputProblem('body', { profile: { bio: ['fine', text] } })).toEqual({ path: 'body.profile.bio.1', message, code: 'unstorable_text' });
  });

  it('checks object keys too (jsonb refuses a NUL in a key as well)', () => {
    expect(inputProblem('body', { value: { 'k\u0000': 1 } })).toMatchObject({ path: 'body.value.k\u0000', code: 'unstorable_text' });
  });

  it(`refuses values nested deeper than ${MAX_INPUT_DEPTH} levels without recursing`, () => {
    expect(inputProblem('body', nested(MAX_INPUT_DEPTH))).toBeUndefined();
    expect(inputProblem('body', nested(MAX_INPUT_DEPTH + 1))).toMatchObject({ code: 'too_deep' });
    // Far deeper than any stack: the check is iterative.
    expect(inputProblem('body', nested(200_000))).toMatchObject({ code: 'too_deep', message: `Nested deeper than ${MAX_INPUT_DEPTH} levels` });
  });

  it('throws 400 validation_failed', () => {
    try {
      assertStorableInput('query', { q: 'x\u0000' });
      throw new Error('accepted');
    } catch (error) {
      expect(error).toBeInstanceOf(HttpError);
      expect((error as HttpError).status).toBe(400);
      expect((error as HttpError).code).toBe('validation_failed');
      expect((error as HttpError).details).toEqual([{ path: 'query.q', message: 'Must not contain the NUL character (U+0000)', code: 'unstorable_text' }]);
    }
  });

  it('runs before every schema, so even z.json() never sees a deep value', () => {
    expect(() => validate('body', z.object({ value: z.json() }), { value: nested(300) })).toThrow(HttpError);
    expect(() => validate('params', z.object({ id: z.string() }), { id: 'a\u0000' })).toThrow(/params is not valid/);
    expect(validate('body', z.object({ value: z.json() }), { value: nested(3) })).toEqual({ value: nested(3) });
  });
});

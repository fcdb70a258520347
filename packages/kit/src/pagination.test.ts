import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { HttpError } from './errors.ts';
import { CursorBigint, CursorInteger, CursorTimestamp, decodeCursor, encodeCursor, pageOf } from './pagination.ts';

const Cursor = z.object({ key: z.string() });

describe('cursors', () => {
  it('round-trip through an opaque string', () => {
    const cursor = encodeCursor({ key: 'théme' });
    expect(cursor).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(decodeCursor(Cursor, cursor)).toEqual({ key: 'théme' });
    expect(decodeCursor(Cursor, undefined)).toBeNull();
  });
  it.each(['%%%', encodeCursor({ other: 1 }), 'bm90IGpzb24'])('refuses %s with 400 invalid_cursor', (cursor) => {
    try {
      decodeCursor(Cursor, cursor);
      throw new Error('accepted');
    } catch (error) {
      expect(error).toBeInstanceOf(HttpError);
      expect((error as HttpError).status).toBe(400);
      expect((error as HttpError).details[0]?.path).toBe('query.cursor');
    }
  });
  it('pages limit + 1 rows', () => {
    expect(pageOf([1, 2, 3], 2, (last) => ({ key: String(last) }))).toEqual({ items: [1, 2], nextCursor: encodeCursor({ key: '2' }) });
    expect(pageOf([1, 2], 2, (last) => ({ key: String(last) }))).toEqual({ items: [1, 2], nextCursor: null });
  });
});

describe('cursor fields', () => {
  const Strict = z.object({ t: CursorTimestamp, p: CursorInteger, us: CursorBigint });
  const valid = { t: '2026-02-28T23:59:59.123456', p: 3, us: '1764633600000000' };

  it('accept what the lists write', () => {
    expect(decodeCursor(Strict, encodeCursor(valid))).toEqual(valid);
    expect(decodeCursor(Strict, encodeCursor({ ...valid, t: '2024-02-29T00:00:00.000000' }))).toMatchObject({ t: '2024-02-29T00:00:00.000000' });
  });

  // Each of these once reached a SQL cast (`::timestamptz`, `integer`, `::int8`) and came back as a 500.
  it.each([
    ['a timestamp of another shape', { t: '2026-02-28 23:59:59' }],
    ['a day that does not exist', { t: '2026-02-30T00:00:00.000000' }],
    ['an hour out of range', { t: '2026-02-28T24:00:00.000000' }],
    ['year zero', { t: '0000-01-01T00:00:00.000000' }],
    ['a NUL in a field', { t: '2026-02-28T23:59:59.123456\u0000' }],
    ['an integer past int4', { p: 2_147_483_648 }],
    ['a negative position', { p: -1 }],
    ['a fraction', { p: 1.5 }],
    ['an int8 that overflows', { us: '99999999999999999999' }],
    ['a signed int8', { us: '-1' }],
    ['a nested cursor', { t: { t: valid.t } }],
  ])('refuse %s', (_name, change) => {
    expect(() => decodeCursor(Strict, encodeCursor({ ...valid, ...(change as Record<string, string | number>) }))).toThrow(HttpError);
  });
});

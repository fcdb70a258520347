import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { HttpError } from './errors.ts';
import { decodeCursor, encodeCursor, pageOf } from './pagination.ts';

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

import { HttpError } from '@authorworks/kit/portable';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { decodeCursor, encodeCursor, pageOf } from './pagination.ts';

const Cursor = z.object({ p: z.number().int() });

describe('cursors', () => {
  it('round-trips and pages', () => {
    expect(decodeCursor(Cursor, encodeCursor({ p: 7 }))).toEqual({ p: 7 });
    expect(decodeCursor(Cursor, undefined)).toBeNull();
    const page = pageOf([{ p: 1 }, { p: 2 }, { p: 3 }], 2, (last) => ({ p: last.p }));
    expect(page.items).toEqual([{ p: 1 }, { p: 2 }]);
    expect(decodeCursor(Cursor, page.nextCursor!)).toEqual({ p: 2 });
    expect(pageOf([{ p: 1 }], 2, (last) => ({ p: last.p })).nextCursor).toBeNull();
  });

  it.each(['garbage!', encodeCursor({ q: 1 }), 'bm90IGpzb24', encodeCursor({ p: 'x' })])('refuses %j with 400 invalid_cursor', (cursor) => {
    try {
      decodeCursor(Cursor, cursor);
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(HttpError);
      expect((error as HttpError).status).toBe(400);
      expect((error as HttpError).code).toBe('invalid_cursor');
    }
  });
});

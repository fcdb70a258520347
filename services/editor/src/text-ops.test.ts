import fc from 'fast-check';
import { type as textType } from 'ot-text-unicode';
import { describe, expect, it } from 'vitest';
import { HttpError } from '@authorworks/kit';
import { OP_LIMITS, assertFits, canonicalOp, codePoints, diffToOp, outputLength, transformOp, transformRange } from './text-ops.ts';

const text = fc.array(fc.constantFrom('a', 'b', ' ', 'é', '😀', '🦊', '\n', 'あ'), { maxLength: 40 }).map((chars) => chars.join(''));

describe('text operations', () => {
  it('counts code points: an emoji is one character', () => {
    expect(codePoints('a😀b')).toBe(3);
    expect(codePoints('')).toBe(0);
  });

  it('turns any two texts into an operation from one to the other (the autosave diff), never splitting an emoji', () => {
    fc.assert(
      fc.property(text, text, (before, after) => {
        const op = diffToOp(before, after);
        expect(textType.apply(before, op)).toBe(after);
        expect(outputLength(op, codePoints(before))).toBe(codePoints(after));
      }),
      { numRuns: 500 },
    );
  });

  it('transforms concurrent operations so both orders give one text (the property the server relies on)', () => {
    const edit = (source: string) =>
      fc.tuple(fc.nat(), fc.nat(5), text).map(([at, remove, insert]) => {
        const length = codePoints(source);
        const start = at % (length + 1);
        return textType.normalize([start, { d: Math.min(remove, length - start) || 0 }, insert].filter((c) => c !== 0 && c !== '' && !(typeof c === 'object' && c.d === 0)));
      });
    fc.assert(
      fc.property(
        text.chain((doc) => fc.tuple(fc.constant(doc), edit(doc), edit(doc))),
        ([doc, a, b]) => {
          const aThenB = textType.apply(textType.apply(doc, a), transformOp(b, a));
          const bThenA = textType.apply(textType.apply(doc, b), textType.transform(a, b, 'right'));
          expect(aThenB).toBe(bThenA);
        },
      ),
      { numRuns: 500 },
    );
  });

  it('keeps typing at a range’s edges outside it and collapses a deleted range to a point', () => {
    expect(transformRange({ start: 2, end: 5 }, [2, 'xx'])).toEqual({ start: 4, end: 7 });
    expect(transformRange({ start: 2, end: 5 }, [5, 'xx'])).toEqual({ start: 2, end: 5 });
    expect(transformRange({ start: 2, end: 5 }, [3, 'xx'])).toEqual({ start: 2, end: 7 });
    expect(transformRange({ start: 2, end: 5 }, [1, { d: 6 }])).toEqual({ start: 1, end: 1 });
    expect(transformRange({ start: 2, end: 5 }, [3, { d: 1 }])).toEqual({ start: 2, end: 4 });
    expect(transformRange({ start: 2, end: 5 }, ['😀'])).toEqual({ start: 3, end: 6 });
  });

  it('refuses what does not fit: past the end 400, too many components or too much text 413', () => {
    expect(() => assertFits([3, { d: 1 }], 3)).toThrow(expect.objectContaining({ status: 400, code: 'operation_out_of_range' }));
    expect(() => assertFits([3, { d: 1 }], 4)).not.toThrow();
    const tooMany = Array.from({ length: OP_LIMITS.components + 1 }, () => 'x');
    expect(() => canonicalOp(tooMany)).toThrow(HttpError);
    expect(() => canonicalOp(['y'.repeat(OP_LIMITS.insertedChars + 1)])).toThrow(expect.objectContaining({ status: 413 }));
    expect(canonicalOp([2, 3, { d: 'ab' }, 'x', 4])).toEqual([5, { d: 2 }, 'x']);
  });
});

// Pair kerning from a font's GPOS table, read by us: opentype.js 2.0 leaves Extension lookups
// (type 9) unparsed, and both cover fonts keep their `kern` lookups in Extensions, so through it
// every pair kerned to 0 (measured). We read the table from the WOFF (inflated through the
// native DecompressionStream), take every lookup of every `kern` feature, and for a pair add up
// the first applicable PairPos subtable of each lookup (format 1: glyph pairs, format 2: class
// pairs), as shapers do. Only value1's xAdvance is used: horizontal Latin kerning.
import { zlibInflateExact } from '../image/zlib.ts';

const tag = (b: Uint8Array, o: number) => String.fromCharCode(b[o]!, b[o + 1]!, b[o + 2]!, b[o + 3]!);

/** One table of a WOFF 1.0 file, inflated when stored compressed; null when absent. */
export async function woffTable(woff: Uint8Array, wanted: string): Promise<Uint8Array | null> {
  const view = new DataView(woff.buffer, woff.byteOffset, woff.byteLength);
  if (woff.length < 44 || tag(woff, 0) !== 'wOFF') throw new Error('not a WOFF 1.0 font');
  const count = view.getUint16(12);
  for (let i = 0; i < count; i++) {
    const entry = 44 + i * 20;
    if (tag(woff, entry) !== wanted) continue;
    const offset = view.getUint32(entry + 4);
    const compressed = view.getUint32(entry + 8);
    const length = view.getUint32(entry + 12);
    const stored = woff.subarray(offset, offset + compressed);
    return compressed < length ? zlibInflateExact([stored], length) : stored;
  }
  return null;
}

interface PairSubtable {
  coverage: number;
  format: 1 | 2;
  valueFormat1: number;
  valueFormat2: number;
  offset: number;
}

export interface PairKerning {
  /** Horizontal adjustment in font units between two glyph ids. */
  value(left: number, right: number): number;
}

const popcount = (n: number) => {
  let c = 0;
  for (let v = n; v; v &= v - 1) c++;
  return c;
};

export function gposPairKerning(gpos: Uint8Array): PairKerning {
  const v = new DataView(gpos.buffer, gpos.byteOffset, gpos.byteLength);
  const u16 = (o: number) => v.getUint16(o);
  const s16 = (o: number) => v.getInt16(o);
  const featureList = u16(6);
  const lookupList = u16(8);

  // Every lookup index of every `kern` feature (any script: a cover's text is Latin).
  const kernLookups = new Set<number>();
  for (let i = 0, n = u16(featureList); i < n; i++) {
    const record = featureList + 2 + i * 6;
    if (tag(gpos, record) !== 'kern') continue;
    const feature = featureList + u16(record + 4);
    for (let j = 0, m = u16(feature + 2); j < m; j++) kernLookups.add(u16(feature + 4 + j * 2));
  }

  const lookups: PairSubtable[][] = [...kernLookups].sort((a, b) => a - b).map((index) => {
    const lookup = lookupList + u16(lookupList + 2 + index * 2);
    const type = u16(lookup);
    const subtables: PairSubtable[] = [];
    for (let j = 0, m = u16(lookup + 4); j < m; j++) {
      let sub = lookup + u16(lookup + 6 + j * 2);
      let subType = type;
      if (type === 9) {
        subType = u16(sub + 2);
        sub = sub + v.getUint32(sub + 4);
      }
      if (subType !== 2) continue;
      const format = u16(sub);
      if (format !== 1 && format !== 2) continue;
      subtables.push({ format, coverage: sub + u16(sub + 2), valueFormat1: u16(sub + 4), valueFormat2: u16(sub + 6), offset: sub });
    }
    return subtables;
  });

  const coverageIndex = (coverage: number, glyph: number): number => {
    const format = u16(coverage);
    const count = u16(coverage + 2);
    let lo = 0, hi = count - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (format === 1) {
        const g = u16(coverage + 4 + mid * 2);
        if (g === glyph) return mid;
        if (g < glyph) lo = mid + 1;
        else hi = mid - 1;
      } else {
        const record = coverage + 4 + mid * 6;
        const start = u16(record), end = u16(record + 2);
        if (glyph < start) hi = mid - 1;
        else if (glyph > end) lo = mid + 1;
        else return u16(record + 4) + glyph - start;
      }
    }
    return -1;
  };

  const classOf = (classDef: number, glyph: number): number => {
    const format = u16(classDef);
    if (format === 1) {
      const start = u16(classDef + 2);
      const count = u16(classDef + 4);
      return glyph >= start && glyph < start + count ? u16(classDef + 6 + (glyph - start) * 2) : 0;
    }
    let lo = 0, hi = u16(classDef + 2) - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const record = classDef + 4 + mid * 6;
      if (glyph < u16(record)) hi = mid - 1;
      else if (glyph > u16(record + 2)) lo = mid + 1;
      else return u16(record + 4);
    }
    return 0;
  };

  /** xAdvance of a ValueRecord (0 when its format has none): it follows xPlacement and yPlacement. */
  const xAdvance = (record: number, format: number): number => (format & 4 ? s16(record + 2 * popcount(format & 3)) : 0);

  /** The subtable's adjustment, or null when it does not apply to the pair. */
  const apply = (t: PairSubtable, left: number, right: number): number | null => {
    const covered = coverageIndex(t.coverage, left);
    if (covered < 0) return null;
    const size1 = 2 * popcount(t.valueFormat1);
    const size2 = 2 * popcount(t.valueFormat2);
    if (t.format === 1) {
      const set = t.offset + u16(t.offset + 10 + covered * 2);
      const recordSize = 2 + size1 + size2;
      let lo = 0, hi = u16(set) - 1;
      while (lo <= hi) {
        const mid = (lo + hi) >> 1;
        const record = set + 2 + mid * recordSize;
        const second = u16(record);
        if (second === right) return xAdvance(record + 2, t.valueFormat1);
        if (second < right) lo = mid + 1;
        else hi = mid - 1;
      }
      return null;
    }
    const class1 = classOf(t.offset + u16(t.offset + 8), left);
    const class2 = classOf(t.offset + u16(t.offset + 10), right);
    const class1Count = u16(t.offset + 12), class2Count = u16(t.offset + 14);
    if (class1 >= class1Count || class2 >= class2Count) return null;
    const record = t.offset + 16 + (class1 * class2Count + class2) * (size1 + size2);
    return xAdvance(record, t.valueFormat1);
  };

  return {
    value(left, right) {
      let total = 0;
      for (const subtables of lookups) {
        for (const t of subtables) {
          const value = apply(t, left, right);
          if (value !== null) {
            total += value;
            break;
          }
        }
      }
      return total;
    },
  };
}

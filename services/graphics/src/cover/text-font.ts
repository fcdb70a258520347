// A font as the cover layout sees it: glyphs of a string with advances and pair kerning in font
// units, and a glyph's outline at a size. opentype.js parses the WOFF and draws the outlines;
// kerning comes from our own GPOS reader (gpos-kerning.ts: opentype.js 2.0 kerns nothing in
// these fonts). Characters map to glyphs one to one through the cmap:
// opentype.js 2.0's GSUB code throws on lookups these fonts use (chained contexts, format 2, in
// Inter's `ccmp`), and a cover needs no ligatures.
/// <reference path="./opentype.d.ts" />
import opentype, { type Glyph, type PathCommand } from 'opentype.js';
import { gposPairKerning, woffTable } from './gpos-kerning.ts';

export type { PathCommand };

export interface ShapedGlyph {
  glyph: Glyph;
  /** Advance in font units. */
  advance: number;
}

export interface TextFont {
  unitsPerEm: number;
  /** Above the baseline, font units (positive). */
  ascender: number;
  /** Below the baseline, font units (negative). */
  descender: number;
  shape(text: string): ShapedGlyph[];
  /** Pair adjustment in font units (negative: closer). */
  kerning(left: ShapedGlyph, right: ShapedGlyph): number;
  /** The glyph's outline with its origin at (x, y) (y down), at `size` pixels per em. */
  outline(glyph: ShapedGlyph, x: number, y: number, size: number): PathCommand[];
}

export interface CoverFonts {
  /** The title's face (a display serif). */
  title: TextFont;
  /** Subtitle and author (a text sans). */
  body: TextFont;
}

export async function openTextFont(bytes: Uint8Array): Promise<TextFont> {
  const font = opentype.parse(bytes.slice().buffer);
  const gpos = await woffTable(bytes, 'GPOS');
  const pairs = gpos ? gposPairKerning(gpos) : null;
  const kerningCache = new Map<number, number>();
  return {
    unitsPerEm: font.unitsPerEm,
    ascender: font.ascender,
    descender: font.descender,
    shape: (text) => Array.from(text, (char) => font.charToGlyph(char)).map((glyph) => ({ glyph, advance: glyph.advanceWidth ?? 0 })),
    kerning(left, right) {
      const key = left.glyph.index * 65536 + right.glyph.index;
      let value = kerningCache.get(key);
      if (value === undefined) {
        value = pairs ? pairs.value(left.glyph.index, right.glyph.index) : 0;
        kerningCache.set(key, value);
      }
      return value;
    },
    outline: (shaped, x, y, size) => shaped.glyph.getPath(x, y, size).commands,
  };
}

export async function openCoverFonts(files: { title: Uint8Array; body: Uint8Array }): Promise<CoverFonts> {
  return { title: await openTextFont(files.title), body: await openTextFont(files.body) };
}

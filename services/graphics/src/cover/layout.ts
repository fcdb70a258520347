// Cover text layout, pure functions: a line's width with kerning, greedy word-wrap (a word wider
// than the box breaks between letters), and auto-fit — the largest size from a block's range at
// which the wrapped text fits its box in both directions. Sizes are in pixels, boxes in pixels.
import type { ShapedGlyph, TextFont } from './text-font.ts';

export interface LineLayout {
  text: string;
  glyphs: ShapedGlyph[];
  /** Pen position of each glyph from the line's start, pixels (kerning and tracking included). */
  offsets: number[];
  width: number;
}

export interface BlockStyle {
  font: TextFont;
  /** The size tried first and the smallest allowed, pixels per em. */
  maxSize: number;
  minSize: number;
  /** Baseline-to-baseline distance as a multiple of the size. */
  lineHeight: number;
  /** Extra space after every glyph, in ems (0 for none). */
  tracking: number;
  maxLines: number;
  uppercase: boolean;
}

export interface BlockLayout {
  size: number;
  lines: LineLayout[];
  /** Height of the laid-out text: first line's ascent to last line's descent. */
  height: number;
  width: number;
  /** Ascent of the font at this size (first baseline below the block's top). */
  ascent: number;
  lineAdvance: number;
}

/** Lays out one line: glyph pen offsets with pair kerning (`kerning: false` leaves it out). */
export function layoutLine(font: TextFont, text: string, size: number, tracking = 0, kerning = true): LineLayout {
  const glyphs = font.shape(text);
  const scale = size / font.unitsPerEm;
  const offsets: number[] = [];
  let x = 0;
  for (let i = 0; i < glyphs.length; i++) {
    offsets.push(x);
    x += glyphs[i]!.advance * scale;
    if (i < glyphs.length - 1) {
      if (kerning) x += font.kerning(glyphs[i]!, glyphs[i + 1]!) * scale;
      x += tracking * size;
    }
  }
  return { text, glyphs, offsets, width: x };
}

export const measure = (font: TextFont, text: string, size: number, tracking = 0, kerning = true): number => layoutLine(font, text, size, tracking, kerning).width;

/** Splits `word` into pieces no wider than `width` (at least one character each). */
function breakWord(font: TextFont, word: string, size: number, tracking: number, width: number): string[] {
  const pieces: string[] = [];
  let rest = word;
  while (rest.length > 0) {
    let n = rest.length;
    while (n > 1 && measure(font, rest.slice(0, n), size, tracking) > width) n--;
    pieces.push(rest.slice(0, n));
    rest = rest.slice(n);
  }
  return pieces;
}

/**
 * Greedy wrap: words go on the current line while it fits `width`; a word wider than a whole
 * line is broken between letters. Whitespace runs collapse to one space.
 */
export function wrapText(font: TextFont, text: string, size: number, width: number, tracking = 0): string[] {
  const words = text.split(/\s+/).filter((w) => w.length > 0);
  const lines: string[] = [];
  let current = '';
  for (const word of words) {
    const candidate = current ? `${current} ${word}` : word;
    if (measure(font, candidate, size, tracking) <= width) {
      current = candidate;
      continue;
    }
    if (current) lines.push(current);
    current = '';
    if (measure(font, word, size, tracking) <= width) {
      current = word;
      continue;
    }
    const pieces = breakWord(font, word, size, tracking, width);
    lines.push(...pieces.slice(0, -1));
    current = pieces.at(-1) ?? '';
  }
  if (current) lines.push(current);
  return lines;
}

function blockAt(style: BlockStyle, text: string, size: number, width: number): BlockLayout {
  const shown = style.uppercase ? text.toUpperCase() : text;
  const lines = wrapText(style.font, shown, size, width, style.tracking).map((line) => layoutLine(style.font, line, size, style.tracking));
  const scale = size / style.font.unitsPerEm;
  const ascent = style.font.ascender * scale;
  const descent = -style.font.descender * scale;
  const lineAdvance = size * style.lineHeight;
  const height = lines.length === 0 ? 0 : ascent + descent + (lines.length - 1) * lineAdvance;
  return { size, lines, height, width: Math.max(0, ...lines.map((l) => l.width)), ascent, lineAdvance };
}

/**
 * The largest size in [minSize, maxSize] (steps of ~3 %, whole pixels) at which `text` wraps into
 * at most `maxLines` lines inside `width` × `height`; at `minSize` the lines are never wider than
 * the box (words break), and if they are still too many, `fits` is false.
 */
export function fitBlock(style: BlockStyle, text: string, width: number, height: number): BlockLayout & { fits: boolean } {
  let size = style.maxSize;
  for (;;) {
    const block = blockAt(style, text, size, width);
    const fits = block.lines.length <= style.maxLines && block.height <= height && block.width <= width;
    if (fits || size <= style.minSize) return { ...block, fits };
    size = Math.max(style.minSize, Math.floor(size * 0.97));
  }
}

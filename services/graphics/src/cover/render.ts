// A typographic cover: genre palette background (filled row by row with native copies) or a
// picture, a frame
// and a rule in the accent colour, title / subtitle / author auto-fitted into their boxes,
// contrast measured on the pixels behind each text block and raised with a scrim until it passes
// WCAG AA for body text (4.5:1, which also covers the 3:1 of large text; the scrim fades out
// around the text so a picture keeps no hard band), then the glyphs
// rasterized line by line (only each line's bounding box is touched).
import type { Raster } from '../image/raster.ts';
import { AA_BODY, contrastRatio, luminance, type Rgb } from './contrast.ts';
import { fitBlock, type BlockLayout, type BlockStyle } from './layout.ts';
import { PALETTES, type Palette } from './palettes.ts';
import { addOutline, compositeCoverage, coverageBox, outlineBounds } from './rasterize.ts';
import type { CoverFonts, PathCommand } from './text-font.ts';

export const COVER_WIDTH = 1600;
export const COVER_HEIGHT = 2560;
export const MAX_TITLE_LENGTH = 120;

export interface CoverText {
  title: string;
  subtitle?: string | undefined;
  author?: string | undefined;
}

export interface Box {
  x: number;
  y: number;
  width: number;
  height: number;
}

export type BlockName = 'title' | 'subtitle' | 'author';

export interface BlockReport {
  name: BlockName;
  /** The box the block must stay in. */
  box: Box;
  /** The pixels the laid-out text covers (lines' extents, ascent to descent). */
  textBox: Box;
  size: number;
  lines: string[];
  fits: boolean;
  color: Rgb;
  /** The lowest contrast between the colour and any pixel behind the text, after the scrim. */
  contrast: number;
  /** Scrim strength applied behind the block (0: none). */
  scrim: number;
}

export interface RenderedCover {
  raster: Raster;
  palette: string;
  blocks: BlockReport[];
  /** Milliseconds per stage, measured where it runs. */
  timings: Record<string, number>;
}

export interface RenderOptions {
  width?: number;
  height?: number;
  palette?: Palette;
  /** Everything but the glyphs (tests compare the text with the pixels behind it). */
  omitText?: boolean;
  /** A picture behind everything, exactly width × height (RGBA is laid over the palette's gradient). */
  background?: Raster;
}

/** Fills a rectangle of an RGB canvas: one pixel written, doubled with copyWithin, rows copied. */
function fillRect(canvas: Raster, x: number, y: number, width: number, height: number, color: Rgb): void {
  const x0 = Math.max(0, Math.round(x)), y0 = Math.max(0, Math.round(y));
  const x1 = Math.min(canvas.width, Math.round(x + width)), y1 = Math.min(canvas.height, Math.round(y + height));
  if (x1 <= x0 || y1 <= y0) return;
  const data = canvas.data;
  const rowBytes = (x1 - x0) * 3;
  const first = (y0 * canvas.width + x0) * 3;
  data[first] = color[0];
  data[first + 1] = color[1];
  data[first + 2] = color[2];
  for (let filled = 3; filled < rowBytes; filled *= 2) data.copyWithin(first + filled, first, first + Math.min(filled, rowBytes - filled));
  for (let row = y0 + 1; row < y1; row++) data.copyWithin((row * canvas.width + x0) * 3, first, first + rowBytes);
}

function gradient(canvas: Raster, top: Rgb, bottom: Rgb): void {
  const h = canvas.height;
  for (let y = 0; y < h; y++) {
    const t = h > 1 ? y / (h - 1) : 0;
    const color: Rgb = [Math.round(top[0] + (bottom[0] - top[0]) * t), Math.round(top[1] + (bottom[1] - top[1]) * t), Math.round(top[2] + (bottom[2] - top[2]) * t)];
    fillRect(canvas, 0, y, canvas.width, 1, color);
  }
}

function drawBackground(canvas: Raster, picture: Raster): void {
  if (picture.width !== canvas.width || picture.height !== canvas.height) throw new RangeError(`the background is ${picture.width}×${picture.height}, the cover ${canvas.width}×${canvas.height}`);
  if (picture.channels === 3) {
    canvas.data.set(picture.data);
    return;
  }
  const out = canvas.data, src = picture.data;
  for (let i = 0, o = 0; o < out.length; i += 4, o += 3) {
    const a = src[i + 3]! / 255;
    out[o] = out[o]! + (src[i]! - out[o]!) * a + 0.5;
    out[o + 1] = out[o + 1]! + (src[i + 1]! - out[o + 1]!) * a + 0.5;
    out[o + 2] = out[o + 2]! + (src[i + 2]! - out[o + 2]!) * a + 0.5;
  }
}

/** The pixel behind `box` that contrasts least with a colour of luminance `textL`, and its luminance. */
function worstBehind(canvas: Raster, box: Box, textL: number): { luminance: number; rgb: Rgb } {
  const light = textL > 0.18; // light text: the brightest pixel is the worst; dark text: the darkest
  let worst = light ? 0 : 1;
  let worstRgb: Rgb = light ? [0, 0, 0] : [255, 255, 255];
  const data = canvas.data;
  const x0 = Math.max(0, Math.floor(box.x)), x1 = Math.min(canvas.width, Math.ceil(box.x + box.width));
  const y0 = Math.max(0, Math.floor(box.y)), y1 = Math.min(canvas.height, Math.ceil(box.y + box.height));
  for (let y = y0; y < y1; y++) {
    let p = (y * canvas.width + x0) * 3;
    let r = -1, g = -1, b = -1;
    for (let x = x0; x < x1; x++, p += 3) {
      // Backgrounds are mostly runs of one colour: the luminance is worked out when it changes.
      if (data[p] === r && data[p + 1] === g && data[p + 2] === b) continue;
      r = data[p]!; g = data[p + 1]!; b = data[p + 2]!;
      const l = luminance(r, g, b);
      if (light ? l > worst : l < worst) {
        worst = l;
        worstRgb = [r, g, b];
      }
    }
  }
  return { luminance: worst, rgb: worstRgb };
}

/** A channel after a scrim of strength `s`, rounded as `scrim` rounds it. */
const scrimmed = (v: number, s: number, light: boolean) => Math.trunc(light ? v * (1 - s) + 0.5 : 255 - (255 - v) * (1 - s) + 0.5);

/** The weakest scrim that brings `rgb` to `target` against the text (bisection; 1 if none does). */
function strengthFor(rgb: Rgb, textL: number, light: boolean, target: number): number {
  let lo = 0, hi = 1;
  for (let i = 0; i < 16; i++) {
    const mid = (lo + hi) / 2;
    const l = luminance(scrimmed(rgb[0], mid, light), scrimmed(rgb[1], mid, light), scrimmed(rgb[2], mid, light));
    if (contrastRatio(textL, l) >= target) hi = mid;
    else lo = mid;
  }
  return hi;
}

/**
 * Darkens (light text) or lightens (dark text) the pixels of `box` by `strength` (0–1), fading
 * out over `feather` pixels around it so that a picture shows no hard-edged band.
 */
function scrim(canvas: Raster, box: Box, strength: number, light: boolean, feather: number): void {
  const data = canvas.data;
  const x0 = Math.max(0, Math.floor(box.x - feather)), x1 = Math.min(canvas.width, Math.ceil(box.x + box.width + feather));
  const y0 = Math.max(0, Math.floor(box.y - feather)), y1 = Math.min(canvas.height, Math.ceil(box.y + box.height + feather));
  const bx1 = box.x + box.width, by1 = box.y + box.height;
  for (let y = y0; y < y1; y++) {
    const dy = y < box.y ? box.y - y : y >= by1 ? y + 1 - by1 : 0;
    let p = (y * canvas.width + x0) * 3;
    for (let x = x0; x < x1; x++, p += 3) {
      const dx = x < box.x ? box.x - x : x >= bx1 ? x + 1 - bx1 : 0;
      const d = dx > dy ? dx : dy;
      if (d >= feather) continue;
      const keep = 1 - strength * (d > 0 ? 1 - d / feather : 1);
      if (light) {
        data[p] = data[p]! * keep + 0.5;
        data[p + 1] = data[p + 1]! * keep + 0.5;
        data[p + 2] = data[p + 2]! * keep + 0.5;
      } else {
        data[p] = 255 - (255 - data[p]!) * keep + 0.5;
        data[p + 1] = 255 - (255 - data[p + 1]!) * keep + 0.5;
        data[p + 2] = 255 - (255 - data[p + 2]!) * keep + 0.5;
      }
    }
  }
}

/**
 * Measures the contrast behind the text and applies the weakest scrim that makes it pass: the
 * strength the worst pixel needs, then measured again (another pixel may now be the worst; the
 * scrim scales sRGB values, which keeps their order of luminance nearly but not exactly).
 */
function ensureContrast(canvas: Raster, textBox: Box, color: Rgb, target: number): { contrast: number; scrim: number } {
  const textL = luminance(color[0], color[1], color[2]);
  const light = textL > 0.18;
  let worst = worstBehind(canvas, textBox, textL);
  let contrast = contrastRatio(textL, worst.luminance);
  let applied = 0;
  const pad = 24 * (canvas.width / COVER_WIDTH);
  const area = { x: textBox.x - pad, y: textBox.y - pad, width: textBox.width + 2 * pad, height: textBox.height + 2 * pad };
  while (contrast < target && applied < 1) {
    const step = Math.min(1, strengthFor(worst.rgb, textL, light, target) + 0.01);
    scrim(canvas, area, step, light, 4 * pad);
    applied = 1 - (1 - applied) * (1 - step);
    worst = worstBehind(canvas, textBox, textL);
    contrast = contrastRatio(textL, worst.luminance);
  }
  return { contrast, scrim: Math.round(applied * 1000) / 1000 };
}

interface PlacedLine {
  outlines: PathCommand[][];
  bounds: { x0: number; y0: number; x1: number; y1: number } | null;
}

interface PlacedBlock {
  name: BlockName;
  box: Box;
  layout: BlockLayout & { fits: boolean };
  color: Rgb;
  lines: PlacedLine[];
  /** The advance box of the lines (ascent to descent) joined with their ink's bounds. */
  textBox: Box;
}

/**
 * Fits the text to its box (with 2 % to spare for ink past the advances: an italic-like "f"
 * overhangs), aligns it, and makes every glyph's outline once.
 */
function place(name: BlockName, style: BlockStyle, text: string, box: Box, color: Rgb, vertical: 'top' | 'center' | 'bottom', centerX: number): PlacedBlock {
  const layout = fitBlock(style, text, box.width * 0.98, box.height);
  const slack = Math.max(0, box.height - layout.height);
  const top = box.y + (vertical === 'top' ? 0 : vertical === 'center' ? slack / 2 : slack);
  let x0 = centerX - layout.width / 2, x1 = centerX + layout.width / 2, y0 = top, y1 = top + layout.height;
  const lines = layout.lines.map((line, i): PlacedLine => {
    const baseline = top + layout.ascent + i * layout.lineAdvance;
    const start = centerX - line.width / 2;
    const outlines = line.glyphs.map((glyph, g) => style.font.outline(glyph, start + line.offsets[g]!, baseline, layout.size));
    const bounds = outlineBounds(outlines);
    if (bounds) {
      x0 = Math.min(x0, bounds.x0); x1 = Math.max(x1, bounds.x1);
      y0 = Math.min(y0, bounds.y0); y1 = Math.max(y1, bounds.y1);
    }
    return { outlines, bounds };
  });
  return { name, box, layout, color, lines, textBox: { x: x0, y: y0, width: x1 - x0, height: y1 - y0 } };
}

function drawBlock(canvas: Raster, block: PlacedBlock): void {
  for (const { outlines, bounds } of block.lines) {
    if (!bounds) continue;
    const x = Math.floor(bounds.x0) - 1, y = Math.floor(bounds.y0) - 1;
    const box = coverageBox(x, y, Math.ceil(bounds.x1) + 2 - x, Math.ceil(bounds.y1) + 2 - y);
    for (const commands of outlines) addOutline(box, commands);
    compositeCoverage(canvas, box, block.color);
  }
}

/** Renders the cover (1600×2560 unless told otherwise; every length scales with the width). */
export function renderCover(fonts: CoverFonts, text: CoverText, options: RenderOptions = {}): RenderedCover {
  const width = options.width ?? COVER_WIDTH;
  const height = options.height ?? COVER_HEIGHT;
  const palette = options.palette ?? PALETTES.literary;
  const u = width / COVER_WIDTH;
  const timings: Record<string, number> = {};
  let last = Date.now();
  const lap = (stage: string) => {
    const now = Date.now();
    timings[stage] = now - last;
    last = now;
  };

  const canvas: Raster = { width, height, channels: 3, data: new Uint8Array(width * height * 3) };
  gradient(canvas, palette.top, palette.bottom);
  if (options.background) drawBackground(canvas, options.background);
  // A thin frame inside the edge.
  const inset = 64 * u, line = Math.max(1, Math.round(5 * u));
  fillRect(canvas, inset, inset, width - 2 * inset, line, palette.accent);
  fillRect(canvas, inset, height - inset - line, width - 2 * inset, line, palette.accent);
  fillRect(canvas, inset, inset, line, height - 2 * inset, palette.accent);
  fillRect(canvas, width - inset - line, inset, line, height - 2 * inset, palette.accent);
  lap('background');

  const margin = 150 * u;
  const inner = width - 2 * margin;
  const centerX = width / 2;
  const titleStyle: BlockStyle = { font: fonts.title, maxSize: 230 * u, minSize: 64 * u, lineHeight: 1.08, tracking: 0, maxLines: 7, uppercase: false };
  const subtitleStyle: BlockStyle = { font: fonts.body, maxSize: 70 * u, minSize: 40 * u, lineHeight: 1.3, tracking: 0, maxLines: 3, uppercase: false };
  const authorStyle: BlockStyle = { font: fonts.body, maxSize: 76 * u, minSize: 40 * u, lineHeight: 1.25, tracking: 0.12, maxLines: 2, uppercase: true };

  const titleBox: Box = { x: margin, y: 0.16 * height, width: inner, height: 0.46 * height };
  const title = place('title', titleStyle, text.title, titleBox, palette.title, 'center', centerX);
  const blocks: PlacedBlock[] = [title];
  // The rule sits under the title's last line; the subtitle under the rule.
  const ruleY = title.textBox.y + title.textBox.height + 70 * u;
  const ruleWidth = 180 * u;
  fillRect(canvas, centerX - ruleWidth / 2, ruleY, ruleWidth, Math.max(1, Math.round(6 * u)), palette.accent);
  if (text.subtitle) {
    const top = ruleY + 70 * u;
    blocks.push(place('subtitle', subtitleStyle, text.subtitle, { x: margin, y: top, width: inner, height: Math.max(0, 0.8 * height - top) }, palette.text, 'top', centerX));
  }
  if (text.author) blocks.push(place('author', authorStyle, text.author, { x: margin, y: 0.83 * height, width: inner, height: 0.1 * height }, palette.text, 'center', centerX));
  lap('layout');

  const reports: BlockReport[] = blocks.map((block) => {
    const { textBox } = block;
    const measured = ensureContrast(canvas, textBox, block.color, AA_BODY);
    return {
      name: block.name, box: block.box, textBox, size: Math.round(block.layout.size * 10) / 10, lines: block.layout.lines.map((l) => l.text),
      fits: block.layout.fits, color: block.color, contrast: Math.floor(measured.contrast * 100) / 100, scrim: measured.scrim,
    };
  });
  lap('contrast');

  if (!options.omitText) for (const block of blocks) drawBlock(canvas, block);
  lap('text');
  return { raster: canvas, palette: palette.name, blocks: reports, timings };
}

// The rendered cover, checked on its pixels: the rasterizer's coverage is exact area, every text
// block stays in its box, and the contrast between each block's colour and the pixels behind it
// passes WCAG AA (computed here from the rendered background, independently of the renderer's
// own measurement), with a scrim added where a palette alone would not pass.
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { decodePng } from '../image/png-decode.ts';
import { decodeToRaster } from '../image/transform.ts';
import { encodePng } from '../image/png-encode.ts';
import type { Raster } from '../image/raster.ts';
import { nodeCoverFonts } from './fonts.test-support.ts';
import { PALETTES, paletteForGenre, type Palette } from './palettes.ts';
import { addOutline, compositeCoverage, coverageBox } from './rasterize.ts';
import { COVER_HEIGHT, COVER_WIDTH, renderCover, type Box } from './render.ts';

const fonts = await nodeCoverFonts();

/** WCAG 2.x relative luminance and contrast, written out again here. */
const channel = (v: number) => (v / 255 <= 0.04045 ? v / 255 / 12.92 : ((v / 255 + 0.055) / 1.055) ** 2.4);
const lum = (r: number, g: number, b: number) => 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b);
const ratio = (a: number, b: number) => (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);

function lowestContrast(raster: Raster, box: Box, color: readonly number[]): number {
  const text = lum(color[0]!, color[1]!, color[2]!);
  const seen = new Set<number>();
  let lowest = Infinity;
  for (let y = Math.floor(box.y); y < Math.ceil(box.y + box.height); y++) {
    for (let x = Math.floor(box.x); x < Math.ceil(box.x + box.width); x++) {
      const p = (y * raster.width + x) * 3;
      const key = (raster.data[p]! << 16) | (raster.data[p + 1]! << 8) | raster.data[p + 2]!;
      if (seen.has(key)) continue;
      seen.add(key);
      lowest = Math.min(lowest, ratio(text, lum(raster.data[p]!, raster.data[p + 1]!, raster.data[p + 2]!)));
    }
  }
  return lowest;
}

const inside = (x: number, y: number, box: Box) => x >= box.x - 1 && x <= box.x + box.width + 1 && y >= box.y - 1 && y <= box.y + box.height + 1;

describe('rasterizer', () => {
  it('covers exactly the area of a shape, with partial pixels on its edges', () => {
    const canvas: Raster = { width: 20, height: 20, channels: 3, data: new Uint8Array(20 * 20 * 3) };
    const box = coverageBox(0, 0, 20, 20);
    // A 10.5 × 7.25 rectangle at (2.25, 3.5) and a triangle of area 12.5 (both clockwise, y down).
    addOutline(box, [{ type: 'M', x: 2.25, y: 3.5 }, { type: 'L', x: 12.75, y: 3.5 }, { type: 'L', x: 12.75, y: 10.75 }, { type: 'L', x: 2.25, y: 10.75 }, { type: 'Z' }]);
    addOutline(box, [{ type: 'M', x: 5, y: 13 }, { type: 'L', x: 10, y: 18 }, { type: 'L', x: 5, y: 18 }, { type: 'Z' }]);
    compositeCoverage(canvas, box, [255, 255, 255]);
    let total = 0;
    for (let i = 0; i < canvas.data.length; i += 3) total += canvas.data[i]! / 255;
    expect(total).toBeCloseTo(10.5 * 7.25 + 12.5, 0);
    expect(canvas.data[(5 * 20 + 6) * 3]).toBe(255); // inside
    expect(canvas.data[(5 * 20 + 2) * 3]).toBe(191); // 3/4 of the pixel covered
    expect(canvas.data[(1 * 20 + 1) * 3]).toBe(0); // outside
  });
});

describe('renderCover', () => {
  const text = { title: 'The Wavering Voyage of Avalon', subtitle: 'A novel in three winters', author: 'Wanda Tyrell' };

  it('renders every palette with every block inside its box and AA contrast on the pixels behind it', async () => {
    // Full size for one palette; the others at half the width (the layout scales with it) to keep the test quick.
    for (const palette of Object.values(PALETTES) as Palette[]) {
      const [width, height] = palette === PALETTES.fantasy ? [COVER_WIDTH, COVER_HEIGHT] : [COVER_WIDTH / 2, COVER_HEIGHT / 2];
      const cover = renderCover(fonts, text, { palette, width, height });
      const background = renderCover(fonts, text, { palette, width, height, omitText: true });
      expect([cover.raster.width, cover.raster.height]).toEqual([width, height]);
      expect(cover.blocks.map((b) => b.name)).toEqual(['title', 'subtitle', 'author']);
      for (const block of cover.blocks) {
        expect(block.fits).toBe(true);
        const measured = lowestContrast(background.raster, block.textBox, block.color);
        expect(measured, `${palette.name} ${block.name}`).toBeGreaterThanOrEqual(4.5);
        expect(block.contrast).toBeLessThanOrEqual(measured + 0.01);
      }
      // Glyph pixels: only inside the text boxes (the text changed nothing else), and there are many.
      let changed = 0;
      for (let y = 0; y < height; y += 2) {
        for (let x = 0; x < width; x += 2) {
          const p = (y * width + x) * 3;
          if (cover.raster.data[p] === background.raster.data[p] && cover.raster.data[p + 1] === background.raster.data[p + 1] && cover.raster.data[p + 2] === background.raster.data[p + 2]) continue;
          changed++;
          expect(cover.blocks.some((b) => inside(x, y, b.textBox) && inside(x, y, b.box)), `${palette.name} pixel ${x},${y}`).toBe(true);
        }
      }
      expect(changed).toBeGreaterThan(width === COVER_WIDTH ? 10_000 : 2_500);
    }
  });

  it('adds a scrim where the colours alone fail, until the text passes 4.5:1', () => {
    // White text on a light grey: about 1.6:1 before the scrim.
    const weak: Palette = { ...PALETTES.literary, name: 'weak', top: [200, 200, 200], bottom: [230, 230, 230], title: [255, 255, 255], text: [255, 255, 255] };
    const cover = renderCover(fonts, text, { palette: weak, width: 400, height: 640 });
    const background = renderCover(fonts, text, { palette: weak, width: 400, height: 640, omitText: true });
    for (const block of cover.blocks) {
      expect(block.scrim).toBeGreaterThan(0);
      expect(lowestContrast(background.raster, block.textBox, block.color)).toBeGreaterThanOrEqual(4.5);
    }
    // Outside the scrims the background is as it was: the top-left corner is still light grey.
    expect(Array.from(background.raster.data.subarray(0, 3))).toEqual([200, 200, 200]);
  });

  it('lays a photograph behind the text and darkens it behind each block until the text passes', async () => {
    const photo = new Uint8Array(readFileSync(new URL('../../fixtures/photo.jpg', import.meta.url)));
    const background = await decodeToRaster(photo, { width: 400, height: 640, fit: 'cover', format: 'png' }, 2);
    expect([background.width, background.height]).toEqual([400, 640]);
    // Light text on a photograph: the brightest pixels behind it decide.
    const options = { palette: PALETTES.mystery, width: 400, height: 640, background };
    const cover = renderCover(fonts, text, options);
    const behind = renderCover(fonts, text, { ...options, omitText: true });
    expect(cover.blocks.some((b) => b.scrim > 0)).toBe(true);
    for (const block of cover.blocks) expect(lowestContrast(behind.raster, block.textBox, block.color), block.name).toBeGreaterThanOrEqual(4.5);
    // Away from the text the photograph is untouched: the bottom-left corner (outside the frame).
    const corner = (raster: Raster) => Array.from(raster.data.subarray((639 * 400) * 3, (639 * 400) * 3 + 3));
    expect(corner(behind.raster)).toEqual(Array.from(background.data.subarray((639 * 400) * background.channels, (639 * 400) * background.channels + 3)));
  });

  it('keeps the longest titles inside the title box, and encodes to a PNG that decodes back', async () => {
    const title = 'An Extraordinarily Long and Winding Title About Cartographers, Lighthouses and the Quiet Sea Between Two Unnamed Islands';
    expect(title.length).toBeLessThanOrEqual(120);
    const cover = renderCover(fonts, { title }, { palette: PALETTES.mystery });
    const [block] = cover.blocks;
    expect(block!.fits).toBe(true);
    expect(block!.size).toBeLessThan(230);
    expect(block!.textBox.y).toBeGreaterThanOrEqual(block!.box.y);
    expect(block!.textBox.y + block!.textBox.height).toBeLessThanOrEqual(block!.box.y + block!.box.height);
    const png = await encodePng(cover.raster, { filter: 'none' });
    const back = await decodePng(png);
    expect([back.width, back.height]).toEqual([COVER_WIDTH, COVER_HEIGHT]);
    expect(Buffer.from(back.data.subarray(0, COVER_WIDTH * 3 * 10))).toEqual(Buffer.from(cover.raster.data.subarray(0, COVER_WIDTH * 3 * 10)));
  });

  it('picks a palette from the genre', () => {
    expect(paletteForGenre('Epic Fantasy')).toBe('fantasy');
    expect(paletteForGenre('science fiction')).toBe('scifi');
    expect(paletteForGenre('Crime thriller')).toBe('mystery');
    expect(paletteForGenre('Biography')).toBe('nonfiction');
    expect(paletteForGenre('')).toBe('literary');
  });
});

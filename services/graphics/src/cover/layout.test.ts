// Cover layout on the real fonts: kerning is applied, wrapping keeps every line inside the box,
// and auto-fit finds a size at which every title of 1 to 120 characters fits the title box.
import { describe, expect, it } from 'vitest';
import { nodeCoverFonts } from './fonts.test-support.ts';
import { fitBlock, layoutLine, measure, wrapText, type BlockStyle } from './layout.ts';
import { COVER_HEIGHT, COVER_WIDTH, MAX_TITLE_LENGTH } from './render.ts';

const fonts = await nodeCoverFonts();

describe('kerning', () => {
  it('sets "AV", "To" and "Wa" tighter than their glyphs\' advances alone, in both faces', () => {
    for (const font of [fonts.title, fonts.body]) {
      for (const pair of ['AV', 'To', 'Wa']) {
        const kerned = measure(font, pair, 200);
        const plain = measure(font, pair, 200, 0, false);
        expect(kerned, `${pair} kerned`).toBeLessThan(plain - 2);
      }
    }
  });

  it('places each glyph at the running sum of advances and kerning', () => {
    const line = layoutLine(fonts.title, 'AVA', 100);
    const scale = 100 / fonts.title.unitsPerEm;
    const [a, v] = line.glyphs;
    expect(line.offsets[1]).toBeCloseTo((a!.advance + fonts.title.kerning(a!, v!)) * scale, 6);
    expect(line.width).toBeLessThan(measure(fonts.title, 'AVA', 100, 0, false));
  });
});

describe('word-wrap', () => {
  it('breaks between words, keeps every line within the width and loses no word', () => {
    const text = 'The quick brown fox jumps over the lazy dog and keeps on running through the night';
    const lines = wrapText(fonts.title, text, 120, 900);
    expect(lines.length).toBeGreaterThan(2);
    for (const line of lines) expect(measure(fonts.title, line, 120)).toBeLessThanOrEqual(900);
    expect(lines.join(' ')).toBe(text);
    // Greedy: the next line's first word would not have fitted on the line before.
    for (let i = 1; i < lines.length; i++) {
      expect(measure(fonts.title, `${lines[i - 1]} ${lines[i]!.split(' ')[0]}`, 120)).toBeGreaterThan(900);
    }
  });

  it('breaks a word wider than the box between letters, and collapses whitespace', () => {
    const lines = wrapText(fonts.title, '  Supercalifragilisticexpialidocious\n  word ', 150, 600);
    expect(lines.length).toBeGreaterThan(2);
    for (const line of lines) expect(measure(fonts.title, line, 150)).toBeLessThanOrEqual(600);
    expect(lines.join('').replace(/ /g, '')).toBe('Supercalifragilisticexpialidociousword');
  });
});

describe('auto-fit', () => {
  const titleStyle: BlockStyle = { font: fonts.title, maxSize: 230, minSize: 64, lineHeight: 1.08, tracking: 0, maxLines: 7, uppercase: false };
  const box = { width: COVER_WIDTH - 300, height: 0.46 * COVER_HEIGHT };
  const words = ['The', 'Wandering', 'Cartographer', 'of', 'Midnight', 'Rivers', 'and', 'Lost', 'Kingdoms', 'WWWWWWWWWWWW', 'a', 'Quiet'];
  const titleOf = (n: number) => {
    let text = '';
    for (let i = 0; text.length < n; i++) text += (text ? ' ' : '') + words[i % words.length];
    return text.slice(0, n).trim() || 'A';
  };

  it('fits every title length from 1 to 120 characters inside the title box', () => {
    let previous = Infinity;
    for (let n = 1; n <= MAX_TITLE_LENGTH; n++) {
      const title = titleOf(n);
      const block = fitBlock(titleStyle, title, box.width, box.height);
      expect(block.fits, `${n}: ${title}`).toBe(true);
      expect(block.width).toBeLessThanOrEqual(box.width);
      expect(block.height).toBeLessThanOrEqual(box.height);
      expect(block.lines.length).toBeLessThanOrEqual(titleStyle.maxLines);
      expect(block.lines.map((l) => l.text).join('').replace(/ /g, '')).toBe(title.replace(/\s+/g, ''));
      previous = Math.min(previous, block.size);
    }
    // Long titles were made smaller than the largest size: the fitting did something.
    expect(previous).toBeLessThan(titleStyle.maxSize);
  });

  it('keeps short titles at the largest size and shrinks long ones', () => {
    expect(fitBlock(titleStyle, 'Dune', box.width, box.height).size).toBe(230);
    const long = fitBlock(titleStyle, titleOf(120), box.width, box.height);
    expect(long.size).toBeLessThan(230);
    expect(long.size).toBeGreaterThanOrEqual(64);
  });

  it('says when text cannot fit at the smallest size', () => {
    const tiny = fitBlock({ ...titleStyle, maxLines: 1 }, titleOf(120), 400, 100);
    expect(tiny.fits).toBe(false);
    expect(tiny.size).toBe(64);
  });
});

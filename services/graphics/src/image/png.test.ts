import { describe, expect, it } from 'vitest';
import { ImageError } from './errors.ts';
import { fixture, pngHeaderOnly } from './fixtures.test-support.ts';
import { convert, hasImageMagick, PNG_VARIANTS, psnr, referencePixels, skipReason } from './imagemagick.test-support.ts';
import { decodePng } from './png-decode.ts';
import { encodePng } from './png-encode.ts';
import { zlibDeflate } from './zlib.ts';

const failure = async (p: Promise<unknown>) => p.then(() => 'no error', (error) => (error instanceof ImageError ? error.code : String(error)));

describe('PNG', () => {
  it('decodes the palette logo and the RGB photograph', async () => {
    const logo = await decodePng(fixture('logo-palette.png'));
    expect([logo.width, logo.height, logo.channels]).toEqual([320, 240, 3]);
    const photo = await decodePng(fixture('photo.png'));
    expect([photo.width, photo.height, photo.channels]).toEqual([360, 239, 3]);
  });

  it('round-trips RGB and RGBA through encodePng and decodePng exactly', async () => {
    const photo = await decodePng(fixture('photo.png'));
    expect((await decodePng(await encodePng(photo))).data).toEqual(photo.data);
    const rgba = { width: 3, height: 2, channels: 4 as const, data: new Uint8Array([1, 2, 3, 0, 250, 128, 7, 255, 9, 9, 9, 9, 0, 0, 0, 0, 255, 255, 255, 255, 40, 50, 60, 70]) };
    expect(await decodePng(await encodePng(rgba))).toEqual(rgba);
  });

  it('checks the pixel limit from IHDR before inflating, and stops a bomb at the bytes its size allows', async () => {
    expect(await failure(decodePng(pngHeaderOnly(100_000, 100_000), { maxPixels: 50_000_000 }))).toBe('image_too_large');
    // 10×10 RGB needs 310 bytes; this IDAT inflates to 1 MiB of zeros.
    const bomb = pngHeaderOnly(10, 10, await zlibDeflate(new Uint8Array(1 << 20)));
    expect(await failure(decodePng(bomb))).toBe('corrupt_image');
    expect(await failure(decodePng(pngHeaderOnly(10, 10, new Uint8Array([1, 2, 3, 4]))))).toBe('corrupt_image');
    const photo = fixture('photo.png');
    expect(await failure(decodePng(photo.subarray(0, photo.length >> 1)))).toBe('corrupt_image');
    expect(await failure(decodePng(new Uint8Array(0)))).toBe('empty_image');
  });

  describe.skipIf(!hasImageMagick)('against ImageMagick', () => {
    const photo = fixture('photo.png');
    it('decodes every colour type, depth and interlace like ImageMagick: identical 8-bit, PSNR ≥ 48 dB for 16-bit', async () => {
      for (const variant of PNG_VARIANTS) {
        const png = new Uint8Array(convert(['-', ...variant.args], photo));
        const ours = await decodePng(png);
        const reference = referencePixels(png, [], ours.channels === 4);
        const db = psnr(ours, reference);
        // 16-bit: this decoder keeps the high byte, ImageMagick rounds (v·255/65535): off by ≤ 1.
        expect(db, variant.name).toBeGreaterThanOrEqual(variant.expect.bitDepth === 16 ? 48 : Infinity);
      }
    });

    it('ImageMagick reads what encodePng writes, pixel for pixel', async () => {
      const ours = await decodePng(fixture('photo.png'));
      const written = await encodePng(ours);
      expect(psnr(referencePixels(written), ours)).toBe(Infinity);
    });
  });
  if (!hasImageMagick) it.skip(skipReason, () => {});
});

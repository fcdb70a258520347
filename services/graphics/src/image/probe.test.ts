import { describe, expect, it } from 'vitest';
import { ImageError } from './errors.ts';
import { fixture, pngHeaderOnly, withExifOrientation, withFrameMarker } from './fixtures.test-support.ts';
import { convert, hasImageMagick, PNG_VARIANTS, skipReason } from './imagemagick.test-support.ts';
import { probeImage } from './probe.ts';

const code = (f: () => unknown) => {
  try { f(); } catch (error) { return error instanceof ImageError ? error.code : String(error); }
  return 'no error';
};

describe('probeImage', () => {
  it('reads a JPEG frame header: dimensions, depth, colour, baseline, no orientation', () => {
    expect(probeImage(fixture('photo.jpg'))).toEqual({
      format: 'jpeg', width: 720, height: 477, displayWidth: 720, displayHeight: 477, bitDepth: 8, colorType: 'ycbcr',
      channels: 3, hasAlpha: false, interlaced: false, encoding: 'baseline', arithmetic: false, orientation: 1,
    });
  });

  it('reads EXIF orientation in both byte orders and swaps the displayed size for 5–8', () => {
    const big = probeImage(withExifOrientation(fixture('photo.jpg'), 6))!;
    expect([big.orientation, big.displayWidth, big.displayHeight]).toEqual([6, 477, 720]);
    const little = probeImage(withExifOrientation(fixture('photo.jpg'), 3, true))!;
    expect([little.orientation, little.displayWidth, little.displayHeight]).toEqual([3, 720, 477]);
  });

  it('names progressive and arithmetic-coded JPEGs from their frame marker', () => {
    expect(probeImage(withFrameMarker(fixture('photo.jpg'), 0xc2))).toMatchObject({ encoding: 'progressive', interlaced: true, arithmetic: false });
    expect(probeImage(withFrameMarker(fixture('photo.jpg'), 0xc9))).toMatchObject({ encoding: 'extended', arithmetic: true });
  });

  it('reads PNG IHDR: palette with tRNS alpha, RGB', () => {
    expect(probeImage(fixture('logo-palette.png'))).toMatchObject({ format: 'png', width: 320, height: 240, bitDepth: 8, colorType: 'palette', interlaced: false });
    expect(probeImage(fixture('photo.png'))).toMatchObject({ format: 'png', width: 360, height: 239, colorType: 'rgb', hasAlpha: false });
  });

  it('needs only the head of the file, and asks for more when the head stops early', () => {
    const jpeg = withExifOrientation(fixture('photo.jpg'), 8);
    expect(probeImage(jpeg.subarray(0, 4096), { partial: true })).toMatchObject({ width: 720, orientation: 8 });
    expect(probeImage(jpeg.subarray(0, 20), { partial: true })).toBeNull();
    expect(probeImage(fixture('photo.png').subarray(0, 20), { partial: true })).toBeNull();
  });

  it('refuses empty, unknown, truncated and impossible headers with a code', () => {
    expect(code(() => probeImage(new Uint8Array(0)))).toBe('empty_image');
    expect(code(() => probeImage(new TextEncoder().encode('GIF89a.........')))).toBe('unsupported_format');
    expect(code(() => probeImage(fixture('photo.jpg').subarray(0, 20)))).toBe('corrupt_image');
    expect(code(() => probeImage(fixture('photo.png').subarray(0, 20)))).toBe('corrupt_image');
    expect(code(() => probeImage(pngHeaderOnly(0, 10)))).toBe('corrupt_image');
    // A PNG bomb's header probes fine: the limit is the decoder's to apply, from these numbers.
    expect(probeImage(pngHeaderOnly(100_000, 100_000))).toMatchObject({ width: 100_000, height: 100_000 });
  });

  it.skipIf(!hasImageMagick)('agrees with ImageMagick on PNG colour types, depths and interlace', () => {
    const photo = fixture('photo.png');
    for (const variant of PNG_VARIANTS) {
      const png = new Uint8Array(convert(['-', ...variant.args], photo));
      expect(probeImage(png), variant.name).toMatchObject({ format: 'png', width: 360, height: 239, ...variant.expect });
    }
    const progressive = new Uint8Array(convert(['rose:', '-interlace', 'JPEG', 'jpeg:-']));
    expect(probeImage(progressive)).toMatchObject({ encoding: 'progressive' });
    const cmyk = new Uint8Array(convert(['rose:', '-colorspace', 'CMYK', 'jpeg:-']));
    // libjpeg stores CMYK as YCCK (Adobe transform 2) unless told otherwise
    expect(probeImage(cmyk)).toMatchObject({ colorType: 'ycck', channels: 4 });
  });
  if (!hasImageMagick) it.skip(skipReason, () => {});
});

import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ImageError } from './errors.ts';
import { fixture, withFrameMarker } from './fixtures.test-support.ts';
import { convert, hasImageMagick, psnr, referencePixels, skipReason } from './imagemagick.test-support.ts';
import { decodeJpeg } from './jpeg-decode.ts';

const failure = (f: () => unknown) => {
  try { f(); } catch (error) { return error instanceof ImageError ? error.code : String(error); }
  return 'no error';
};

describe('decodeJpeg', () => {
  it('decodes the photograph at every scale to the sizes libjpeg gives', () => {
    const photo = fixture('photo.jpg');
    expect([1, 2, 4, 8].map((scale) => {
      const r = decodeJpeg(photo, { scale: scale as 1 | 2 | 4 | 8 });
      return [r.width, r.height, r.data.length];
    })).toEqual([[720, 477, 720 * 477 * 3], [360, 239, 360 * 239 * 3], [180, 120, 180 * 120 * 3], [90, 60, 90 * 60 * 3]]);
  });

  it('refuses progressive, arithmetic, lossless and CMYK JPEGs, truncated data and over-limit frames with codes', () => {
    const photo = fixture('photo.jpg');
    expect(failure(() => decodeJpeg(withFrameMarker(photo, 0xc2)))).toBe('unsupported_encoding');
    expect(failure(() => decodeJpeg(withFrameMarker(photo, 0xc9)))).toBe('unsupported_encoding');
    expect(failure(() => decodeJpeg(withFrameMarker(photo, 0xc3)))).toBe('unsupported_encoding');
    expect(failure(() => decodeJpeg(photo.subarray(0, Math.floor(photo.length * 0.6))))).toBe('corrupt_image');
    expect(failure(() => decodeJpeg(photo.subarray(0, 300)))).toBe('corrupt_image');
    expect(failure(() => decodeJpeg(photo, { maxPixels: 720 * 477 - 1 }))).toBe('image_too_large');
    const garbled = photo.slice();
    for (let i = 2000; i < garbled.length - 2; i += 7) garbled[i] = 0xff; // every 0xFF not followed by 0 is a marker
    expect(failure(() => decodeJpeg(garbled))).toBe('corrupt_image');
  });

  describe.skipIf(!hasImageMagick)('against ImageMagick (libjpeg-turbo)', () => {
    // A crop to whole 16-pixel MCUs, so every reduced size is an exact 2/4/8 box of the full one.
    const photo = fixture('photo.jpg');
    const variants = ['4:2:0', '4:2:2', '4:4:4', 'grey'].map((sampling) => ({
      sampling,
      bytes: new Uint8Array(convert(['-', '-crop', '720x464+0+0', '+repage', ...(sampling === 'grey' ? ['-colorspace', 'gray'] : ['-sampling-factor', sampling]), '-quality', '90', 'jpeg:-'], photo)),
    }));

    // Full size: libjpeg upsamples chroma with a triangle filter, this decoder replicates it,
    // so subsampled images differ a little at colour edges; 4:4:4 and grey are near-identical.
    const FULL_MIN_DB: Record<string, number> = { '4:2:0': 35, '4:2:2': 38, '4:4:4': 55, grey: 55 };
    it('full-size decode: PSNR against ImageMagick ≥ 35 dB (4:2:0), ≥ 38 dB (4:2:2), ≥ 55 dB (4:4:4, grey)', () => {
      for (const v of variants) {
        const ours = decodeJpeg(v.bytes);
        expect(psnr(ours, referencePixels(v.bytes)), v.sampling).toBeGreaterThanOrEqual(FULL_MIN_DB[v.sampling]!);
      }
    });

    it('1/2, 1/4, 1/8 decodes equal the area average of ImageMagick\'s full decode: PSNR ≥ 40 dB', () => {
      for (const v of variants) {
        for (const scale of [2, 4, 8] as const) {
          const ours = decodeJpeg(v.bytes, { scale });
          const reference = referencePixels(v.bytes, ['-scale', `${ours.width}x${ours.height}!`]);
          expect(psnr(ours, reference), `${v.sampling} 1/${scale}`).toBeGreaterThanOrEqual(40);
          // Chroma left at its own resolution (replicated), for outputs shrunk ≥ 1.8× more: lower here, at the decoded size (see transform.test.ts for the thumbnail).
          const coarse = decodeJpeg(v.bytes, { scale, coarseChroma: true });
          expect(psnr(coarse, reference), `${v.sampling} 1/${scale} coarse chroma`).toBeGreaterThanOrEqual(v.sampling === '4:4:4' || v.sampling === 'grey' ? 40 : 27);
        }
      }
    });

    it('decodes JPEGs with restart intervals (made by cjpeg when installed)', () => {
      if (!existsSync('/usr/bin/cjpeg')) return void expect(existsSync('/usr/bin/cjpeg')).toBe(false);
      const ppm = convert(['-', '-crop', '720x464+0+0', '+repage', 'ppm:-'], photo);
      const restarted = new Uint8Array(execFileSync('/usr/bin/cjpeg', ['-restart', '3B', '-quality', '85'], { input: ppm }));
      expect(Array.from(restarted.subarray(0, 2000)).some((b, i) => b === 0xff && restarted[i + 1] === 0xdd)).toBe(true);
      const ours = decodeJpeg(restarted);
      expect(psnr(ours, referencePixels(restarted))).toBeGreaterThanOrEqual(35);
      const quarter = decodeJpeg(restarted, { scale: 4 });
      expect(psnr(quarter, referencePixels(restarted, ['-scale', `${quarter.width}x${quarter.height}!`]))).toBeGreaterThanOrEqual(35);
    });
  });
  if (!hasImageMagick) it.skip(skipReason, () => {});
});

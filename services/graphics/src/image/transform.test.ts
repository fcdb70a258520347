import { describe, expect, it } from 'vitest';
import { ImageError } from './errors.ts';
import { fixture, pngHeaderOnly, withExifOrientation } from './fixtures.test-support.ts';
import { convert, hasImageMagick, psnr, referencePixels, skipReason } from './imagemagick.test-support.ts';
import { encodeJpeg } from './jpeg-encode.ts';
import { decodePng } from './png-decode.ts';
import { probeImage } from './probe.ts';
import { resampleArea } from './resample.ts';
import { chooseScale, plan, renderImages, transformImage } from './transform.ts';

const failure = async (p: Promise<unknown>) => p.then(() => 'no error', (error) => (error instanceof ImageError ? error.code : String(error)));

describe('plan', () => {
  it('fits inside, covers with a centred crop, fills, crops first and never enlarges when asked', () => {
    expect(plan(4000, 3000, { width: 512, height: 512, fit: 'contain', format: 'same' })).toEqual({ width: 512, height: 384, rect: { x: 0, y: 0, width: 4000, height: 3000 } });
    expect(plan(4000, 3000, { width: 500, height: 500, fit: 'cover', format: 'same' })).toEqual({ width: 500, height: 500, rect: { x: 500, y: 0, width: 3000, height: 3000 } });
    expect(plan(4000, 3000, { width: 300, height: 100, fit: 'fill', format: 'same' })).toMatchObject({ width: 300, height: 100 });
    expect(plan(4000, 3000, { width: 1024, fit: 'contain', format: 'same' })).toMatchObject({ width: 1024, height: 768 });
    expect(plan(4000, 3000, { height: 300, fit: 'contain', format: 'same', crop: { left: 100, top: 100, width: 1000, height: 600 } })).toEqual({ width: 500, height: 300, rect: { x: 100, y: 100, width: 1000, height: 600 } });
    expect(plan(300, 200, { width: 512, height: 512, fit: 'contain', withoutEnlargement: true, format: 'same' })).toMatchObject({ width: 300, height: 200 });
  });

  it('decodes a JPEG at the smallest scale that still has the output\'s pixels', () => {
    expect(chooseScale({ x: 0, y: 0, width: 4000, height: 3000 }, 512, 384)).toBe(4);
    expect(chooseScale({ x: 0, y: 0, width: 4000, height: 3000 }, 1024, 768)).toBe(2);
    expect(chooseScale({ x: 0, y: 0, width: 4000, height: 3000 }, 256, 192)).toBe(8);
    expect(chooseScale({ x: 0, y: 0, width: 720, height: 477 }, 700, 400)).toBe(1);
  });
});

describe('transformImage', () => {
  it('makes a JPEG thumbnail from a JPEG at reduced decode scale, and a PNG one from a PNG', async () => {
    const thumb = await transformImage(fixture('photo.jpg'), { width: 128, height: 128, fit: 'contain', withoutEnlargement: true, format: 'same', quality: 80 });
    expect(thumb).toMatchObject({ contentType: 'image/jpeg', width: 128, height: 85, decodeScale: 4 });
    expect(probeImage(thumb.bytes)).toMatchObject({ format: 'jpeg', width: 128, height: 85 });
    const png = await transformImage(fixture('logo-palette.png'), { width: 64, fit: 'contain', format: 'same' });
    expect(png).toMatchObject({ contentType: 'image/png', width: 64, height: 48 });
    expect(probeImage(png.bytes)).toMatchObject({ format: 'png', width: 64, height: 48 });
  });

  it('refuses over-limit images from the header, before decoding', async () => {
    expect(await failure(transformImage(pngHeaderOnly(8000, 7000), { width: 128, fit: 'contain', format: 'same' }))).toBe('image_too_large');
    expect(await failure(transformImage(fixture('photo.jpg'), { width: 128, fit: 'contain', format: 'same', maxPixels: 100_000 }))).toBe('image_too_large');
    expect(await failure(transformImage(new TextEncoder().encode('not an image at all'), { width: 128, fit: 'contain', format: 'same' }))).toBe('unsupported_format');
  });

  it('keeps alpha through a PNG resize (premultiplied: transparent pixels do not bleed their colour)', async () => {
    // Left half opaque red, right half fully transparent *green*: the edge must stay red, not brown.
    const w = 8, h = 2;
    const data = new Uint8Array(w * h * 4);
    for (let i = 0; i < w * h; i++) data.set(i % w < 4 ? [255, 0, 0, 255] : [0, 255, 0, 0], i * 4);
    const out = resampleArea({ width: w, height: h, channels: 4, data }, 3, 1);
    expect(Array.from(out.data.subarray(4, 8))).toEqual([255, 0, 0, 128]);
    expect(out.data[11]).toBe(0);
  });

  describe.skipIf(!hasImageMagick)('against ImageMagick', () => {
    // Cropped to whole 16-pixel MCUs so that a 1/s decode covers exactly s×s source pixels per pixel.
    const photo = hasImageMagick ? new Uint8Array(convert(['-', '-crop', '720x464+0+0', '+repage', '-quality', '90', 'jpeg:-'], fixture('photo.jpg'))) : new Uint8Array(0);
    const linearScale = (w: number, h: number) => ['-colorspace', 'RGB', '-scale', `${w}x${h}!`, '-colorspace', 'sRGB'];
    /** What a 1/s decode is: the s×s area average of the full decode, in sRGB (before the linear resample). */
    const scaledDecode = (s: number, w: number, h: number) => (s === 1 ? [] : ['-scale', `${w / s}x${h / s}!`]);

    it('thumbnails a photograph as ImageMagick does the same steps (1/s box in sRGB, then linear-light area): PSNR ≥ 40 dB', async () => {
      for (const size of [128, 256, 512]) {
        const ours = await transformImage(photo, { width: size, height: size, fit: 'contain', format: 'png' });
        const reference = referencePixels(photo, [...scaledDecode(ours.decodeScale, 720, 464), ...linearScale(ours.width, ours.height)]);
        expect(psnr(await decodePng(ours.bytes), reference), `${size}`).toBeGreaterThanOrEqual(40);
      }
    });

    it('thumbnails a large 4:2:0 JPEG (reduced-scale decode, chroma left coarse when shrinking ≥ 1.8× more) as ImageMagick\'s same steps: PSNR ≥ 40 dB', async () => {
      const big = new Uint8Array(convert(['-', '-resize', '400%', '-crop', '2880x1856+0+0', '+repage', '-sampling-factor', '4:2:0', '-quality', '90', 'jpeg:-'], fixture('photo.jpg')));
      for (const size of [512, 256, 128]) {
        const rendered = await renderImages(big, [{ width: size, height: size, fit: 'contain', format: 'png' }]);
        const out = rendered.outputs[0]!;
        const reference = referencePixels(big, [...scaledDecode(rendered.decodeScale, 2880, 1856), ...linearScale(out.width, out.height)]);
        expect(psnr(await decodePng(out.bytes), reference), `${size}`).toBeGreaterThanOrEqual(40);
      }
    });

    it('stays close to a linear-light area average of the full decode: PSNR ≥ 30 dB at 128 px, ≥ 34 at 256, ≥ 42 at 512', async () => {
      // The reduced-scale JPEG decode averages in sRGB (as libjpeg's does); the resample after it
      // averages in linear light. On this sharp photograph that costs a few dB at small sizes.
      const floor: Record<number, number> = { 128: 30, 256: 34, 512: 42 };
      for (const size of [128, 256, 512]) {
        const ours = await transformImage(photo, { width: size, height: size, fit: 'contain', format: 'png' });
        expect(psnr(await decodePng(ours.bytes), referencePixels(photo, linearScale(ours.width, ours.height))), `${size}`).toBeGreaterThanOrEqual(floor[size]!);
      }
      const cover = await transformImage(photo, { width: 200, height: 200, fit: 'cover', format: 'png' });
      const reference = referencePixels(photo, ['-gravity', 'center', '-crop', '464x464+0+0', '+repage', ...linearScale(200, 200)]);
      expect(psnr(await decodePng(cover.bytes), reference)).toBeGreaterThanOrEqual(29);
    });

    it('applies all eight EXIF orientations like ImageMagick\'s -auto-orient: PSNR ≥ 38 dB', async () => {
      for (let orientation = 1; orientation <= 8; orientation++) {
        const rotated = withExifOrientation(photo, orientation);
        const ours = await transformImage(rotated, { width: 160, height: 160, fit: 'contain', format: 'png' });
        expect([ours.width, ours.height], `${orientation}`).toEqual(orientation >= 5 ? [103, 160] : [160, 103]);
        const [w, h] = orientation >= 5 ? [464, 720] : [720, 464];
        const reference = referencePixels(rotated, ['-auto-orient', ...scaledDecode(ours.decodeScale, w, h), ...linearScale(ours.width, ours.height)]);
        expect(psnr(await decodePng(ours.bytes), reference), `orientation ${orientation}`).toBeGreaterThanOrEqual(38);
      }
    });

    it('resizes every PNG colour type like ImageMagick: PSNR ≥ 38 dB', async () => {
      for (const args of [['PNG8:-'], ['-colorspace', 'gray', 'PNG:-'], ['-depth', '16', '-interlace', 'PNG', 'PNG48:-']]) {
        const png = new Uint8Array(convert(['-', ...args], fixture('photo.png')));
        const ours = await transformImage(png, { width: 100, fit: 'contain', format: 'png' });
        const reference = referencePixels(png, linearScale(ours.width, ours.height));
        expect(psnr(await decodePng(ours.bytes), reference), args.join(' ')).toBeGreaterThanOrEqual(38);
      }
    });

    it('writes JPEGs as good as libjpeg\'s at the same quality and 4:2:0: PSNR within 1 dB, size within 15 %', async () => {
      const source = await decodePng(fixture('photo.png'));
      for (const quality of [50, 85, 95]) {
        const ours = encodeJpeg(source, quality);
        const theirs = new Uint8Array(convert(['-', '-sampling-factor', '4:2:0', '-quality', String(quality), 'jpeg:-'], fixture('photo.png')));
        const ourDb = psnr(referencePixels(ours), source);
        const theirDb = psnr(referencePixels(theirs), source);
        expect(ourDb, `q${quality}`).toBeGreaterThanOrEqual(theirDb - 1);
        expect(ours.length, `q${quality}`).toBeLessThanOrEqual(theirs.length * 1.15);
      }
      expect(encodeJpeg(source, 40).length).toBeLessThan(encodeJpeg(source, 90).length);
    });
  });
  if (!hasImageMagick) it.skip(skipReason, () => {});
});

// jpeg-js's encoder alone (its decoder is replaced by ./jpeg-decode.ts); typed in ./jpeg-js.d.ts.
import encodeJpegJs from 'jpeg-js/lib/encoder.js';
import type { Raster } from './raster.ts';

/**
 * Baseline JPEG (4:2:0 as jpeg-js writes it) at quality 1–100. Alpha is composited over white.
 * jpeg-js ends with `Buffer.from(bytes)` when bundled as CommonJS; the component has no Buffer,
 * so while it runs a minimal `Buffer.from` answering a Uint8Array stands in, and is removed after.
 */
export function encodeJpeg(image: Raster, quality: number): Uint8Array {
  const { width, height, channels, data } = image;
  const rgba = new Uint8Array(width * height * 4);
  for (let i = 0, o = 0; o < rgba.length; i += channels, o += 4) {
    if (channels === 4) {
      const a = data[i + 3]!;
      const wb = 255 - a;
      rgba[o] = (data[i]! * a + 255 * wb + 127) / 255;
      rgba[o + 1] = (data[i + 1]! * a + 255 * wb + 127) / 255;
      rgba[o + 2] = (data[i + 2]! * a + 255 * wb + 127) / 255;
    } else {
      rgba[o] = data[i]!;
      rgba[o + 1] = data[i + 1]!;
      rgba[o + 2] = data[i + 2]!;
    }
    rgba[o + 3] = 255;
  }
  const g = globalThis as { Buffer?: unknown };
  const shimmed = g.Buffer === undefined;
  if (shimmed) g.Buffer = { from: (bytes: ArrayLike<number>) => Uint8Array.from(bytes) };
  try {
    const { data: out } = encodeJpegJs({ data: rgba, width, height }, quality);
    return out instanceof Uint8Array ? new Uint8Array(out.buffer, out.byteOffset, out.byteLength) : Uint8Array.from(out);
  } finally {
    if (shimmed) delete g.Buffer;
  }
}

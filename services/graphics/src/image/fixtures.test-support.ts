// Test support only: the committed fixtures and byte-level edits of them.
import { readFileSync } from 'node:fs';

const dir = new URL('../../fixtures/', import.meta.url);
export const fixture = (name: string) => new Uint8Array(readFileSync(new URL(name, dir)));

/** A JPEG with an EXIF APP1 holding only IFD0's Orientation tag, inserted after SOI. */
export function withExifOrientation(jpeg: Uint8Array, orientation: number, littleEndian = false): Uint8Array {
  const tiff = littleEndian
    ? [0x49, 0x49, 42, 0, 8, 0, 0, 0, 1, 0, 0x12, 0x01, 3, 0, 1, 0, 0, 0, orientation, 0, 0, 0, 0, 0, 0, 0]
    : [0x4d, 0x4d, 0, 42, 0, 0, 0, 8, 0, 1, 0x01, 0x12, 0, 3, 0, 0, 0, 1, 0, orientation, 0, 0, 0, 0, 0, 0];
  const payload = [0x45, 0x78, 0x69, 0x66, 0, 0, ...tiff];
  const segment = [0xff, 0xe1, (payload.length + 2) >> 8, (payload.length + 2) & 255, ...payload];
  const out = new Uint8Array(jpeg.length + segment.length);
  out.set(jpeg.subarray(0, 2));
  out.set(segment, 2);
  out.set(jpeg.subarray(2), 2 + segment.length);
  return out;
}

/** The JPEG with its SOF0 marker replaced (C2 progressive, C9 arithmetic, …): what a header says. */
export function withFrameMarker(jpeg: Uint8Array, marker: number): Uint8Array {
  const out = jpeg.slice();
  for (let i = 2; i + 1 < out.length; i++) {
    if (out[i] === 0xff && out[i + 1] === 0xc0) { out[i + 1] = marker; return out; }
  }
  throw new Error('no SOF0');
}

/** A PNG whose IHDR claims width×height over a tiny IDAT (a decompression bomb's shape). */
export function pngHeaderOnly(width: number, height: number, idat: Uint8Array = new Uint8Array([0x78, 0x9c, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01])): Uint8Array {
  const chunk = (type: string, body: Uint8Array) => {
    const c = new Uint8Array(12 + body.length);
    new DataView(c.buffer).setUint32(0, body.length);
    for (let i = 0; i < 4; i++) c[4 + i] = type.charCodeAt(i);
    c.set(body, 8);
    return c;
  };
  const ihdr = new Uint8Array(13);
  new DataView(ihdr.buffer).setUint32(0, width);
  new DataView(ihdr.buffer).setUint32(4, height);
  ihdr.set([8, 2, 0, 0, 0], 8);
  const parts = [new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk('IHDR', ihdr), chunk('IDAT', idat), chunk('IEND', new Uint8Array(0))];
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) { out.set(p, o); o += p.length; }
  return out;
}

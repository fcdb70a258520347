import { corrupt, ImageError } from './errors.ts';
import { probeImage } from './probe.ts';
import type { Raster } from './raster.ts';
import { zlibInflateExact } from './zlib.ts';

const ADAM7 = [
  [0, 0, 8, 8], [4, 0, 8, 8], [0, 4, 4, 8], [2, 0, 4, 4], [0, 2, 2, 4], [1, 0, 2, 2], [0, 1, 1, 2],
] as const; // x0, y0, dx, dy

const COLOR_CHANNELS: Record<string, number> = { grey: 1, rgb: 3, palette: 1, 'grey-alpha': 2, rgba: 4 };

/**
 * Decodes every PNG the standard allows — grey, RGB, palette, grey+alpha, RGBA; 1–16 bits;
 * Adam7 interlaced; tRNS transparency — to 8-bit RGB (opaque) or RGBA. 16-bit samples keep their
 * high byte. The pixel limit is checked from IHDR before anything is inflated, and inflating
 * stops at exactly the bytes the dimensions allow, so a deflate bomb costs nothing.
 */
export async function decodePng(data: Uint8Array, options: { maxPixels?: number } = {}): Promise<Raster> {
  const info = probeImage(data)!;
  if (info.format !== 'png') throw new ImageError('unsupported_format', 'not a PNG');
  const { width, height, bitDepth, colorType, interlaced } = info;
  if (options.maxPixels && width * height > options.maxPixels) throw new ImageError('image_too_large', `${width}×${height} is over the limit of ${options.maxPixels} pixels`);
  const channels = COLOR_CHANNELS[colorType]!;
  let palette: Uint8Array | null = null;
  let trns: Uint8Array | null = null;
  const idat: Uint8Array[] = [];
  let p = 8;
  let ended = false;
  while (p + 8 <= data.length) {
    const len = ((data[p]! << 24) | (data[p + 1]! << 16) | (data[p + 2]! << 8) | data[p + 3]!) >>> 0;
    const type = String.fromCharCode(data[p + 4]!, data[p + 5]!, data[p + 6]!, data[p + 7]!);
    const body = p + 8;
    if (body + len > data.length) throw corrupt(`PNG ends inside its ${type} chunk`);
    if (type === 'PLTE') palette = data.subarray(body, body + len);
    else if (type === 'tRNS') trns = data.subarray(body, body + len);
    else if (type === 'IDAT') idat.push(data.subarray(body, body + len));
    else if (type === 'IEND') { ended = true; break; }
    p = body + len + 4;
  }
  if (!idat.length) throw corrupt('PNG has no image data');
  if (colorType === 'palette' && (!palette || palette.length % 3 || palette.length === 0)) throw corrupt('palette PNG has no valid PLTE chunk');
  void ended; // a missing IEND alone is tolerated when the image data is whole

  const bitsPerPixel = channels * bitDepth;
  const bpp = Math.max(1, bitsPerPixel >> 3);
  const passes = interlaced
    ? ADAM7.map(([x0, y0, dx, dy]) => ({ x0, y0, dx, dy, w: Math.ceil((width - x0) / dx), h: Math.ceil((height - y0) / dy) }))
    : [{ x0: 0, y0: 0, dx: 1, dy: 1, w: width, h: height }];
  let expected = 0;
  for (const pass of passes) if (pass.w > 0 && pass.h > 0) expected += pass.h * (1 + Math.ceil((pass.w * bitsPerPixel) / 8));
  const raw = await zlibInflateExact(idat, expected);

  const hasAlpha = colorType === 'grey-alpha' || colorType === 'rgba' || trns !== null;
  const outChannels: 3 | 4 = hasAlpha ? 4 : 3;
  const out = new Uint8Array(width * height * outChannels);
  let offset = 0;
  for (const pass of passes) {
    if (pass.w <= 0 || pass.h <= 0) continue;
    const stride = Math.ceil((pass.w * bitsPerPixel) / 8);
    let prev = new Uint8Array(stride);
    let cur = new Uint8Array(stride);
    for (let y = 0; y < pass.h; y++) {
      const filter = raw[offset]!;
      const line = raw.subarray(offset + 1, offset + 1 + stride);
      offset += 1 + stride;
      unfilter(filter, line, prev, cur, bpp);
      writeRow(cur, pass.w, pass.y0 + y * pass.dy, pass.x0, pass.dx, width, out, outChannels, colorType, bitDepth, palette, trns);
      const t = prev; prev = cur; cur = t;
    }
  }
  return { width, height, channels: outChannels, data: out };
}

function unfilter(filter: number, line: Uint8Array, prev: Uint8Array, cur: Uint8Array, bpp: number): void {
  const n = line.length;
  switch (filter) {
    case 0: cur.set(line); break;
    case 1:
      for (let i = 0; i < n; i++) cur[i] = line[i]! + (i >= bpp ? cur[i - bpp]! : 0);
      break;
    case 2:
      for (let i = 0; i < n; i++) cur[i] = line[i]! + prev[i]!;
      break;
    case 3:
      for (let i = 0; i < n; i++) cur[i] = line[i]! + (((i >= bpp ? cur[i - bpp]! : 0) + prev[i]!) >> 1);
      break;
    case 4:
      for (let i = 0; i < n; i++) {
        const a = i >= bpp ? cur[i - bpp]! : 0;
        const b = prev[i]!;
        const c = i >= bpp ? prev[i - bpp]! : 0;
        const pa = Math.abs(b - c);
        const pb = Math.abs(a - c);
        const pc = Math.abs(a + b - 2 * c);
        cur[i] = line[i]! + (pa <= pb && pa <= pc ? a : pb <= pc ? b : c);
      }
      break;
    default:
      throw corrupt(`PNG row filter ${filter} is invalid`);
  }
}

function writeRow(
  row: Uint8Array, w: number, y: number, x0: number, dx: number, width: number, out: Uint8Array, oc: number,
  colorType: string, depth: number, palette: Uint8Array | null, trns: Uint8Array | null,
): void {
  let o = (y * width + x0) * oc;
  const step = dx * oc;
  const keyed = trns !== null && (colorType === 'grey' || colorType === 'rgb');
  if (depth === 8 && colorType === 'rgb' && !keyed && dx === 1 && oc === 3) { out.set(row.subarray(0, w * 3), o); return; }
  if (depth === 8 && colorType === 'rgba' && dx === 1) { out.set(row.subarray(0, w * 4), o); return; }
  const scaleUp = depth < 8 ? 255 / ((1 << depth) - 1) : 1;
  const sample = (i: number): number => {
    // The i-th sample of the row at the image's bit depth, unscaled.
    if (depth === 8) return row[i]!;
    if (depth === 16) return (row[2 * i]! << 8) | row[2 * i + 1]!;
    const perByte = 8 / depth;
    const byte = row[(i / perByte) | 0]!;
    const shift = 8 - depth * ((i % perByte) + 1);
    return (byte >> shift) & ((1 << depth) - 1);
  };
  const to8 = (v: number) => (depth === 16 ? v >> 8 : depth < 8 ? Math.round(v * scaleUp) : v);
  const keyAt = (i: number) => (trns!.length >= 2 * i + 2 ? (trns![2 * i]! << 8) | trns![2 * i + 1]! : -1);
  for (let x = 0; x < w; x++, o += step) {
    switch (colorType) {
      case 'grey': {
        const v = sample(x);
        const g = to8(v);
        out[o] = g; out[o + 1] = g; out[o + 2] = g;
        if (oc === 4) out[o + 3] = keyed && v === keyAt(0) ? 0 : 255;
        break;
      }
      case 'rgb': {
        const r = sample(3 * x), g = sample(3 * x + 1), b = sample(3 * x + 2);
        out[o] = to8(r); out[o + 1] = to8(g); out[o + 2] = to8(b);
        if (oc === 4) out[o + 3] = keyed && r === keyAt(0) && g === keyAt(1) && b === keyAt(2) ? 0 : 255;
        break;
      }
      case 'palette': {
        const i = sample(x);
        if (3 * i + 2 >= palette!.length) throw corrupt('PNG pixel indexes past its palette');
        out[o] = palette![3 * i]!; out[o + 1] = palette![3 * i + 1]!; out[o + 2] = palette![3 * i + 2]!;
        if (oc === 4) out[o + 3] = trns && i < trns.length ? trns[i]! : 255;
        break;
      }
      case 'grey-alpha': {
        const g = to8(sample(2 * x));
        out[o] = g; out[o + 1] = g; out[o + 2] = g; out[o + 3] = to8(sample(2 * x + 1));
        break;
      }
      default: {
        out[o] = to8(sample(4 * x)); out[o + 1] = to8(sample(4 * x + 1)); out[o + 2] = to8(sample(4 * x + 2)); out[o + 3] = to8(sample(4 * x + 3));
      }
    }
  }
}

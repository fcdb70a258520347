import type { Raster } from './raster.ts';

/** sRGB ↔ linear light. Averaging in linear light keeps fine detail from darkening (gamma-aware). */
const TO_LINEAR = new Float32Array(256);
for (let i = 0; i < 256; i++) {
  const c = i / 255;
  TO_LINEAR[i] = c <= 0.04045 ? c / 12.92 : Math.pow((c + 0.055) / 1.055, 2.4);
}
const LINEAR_STEPS = 4095;
const TO_SRGB = new Uint8Array(LINEAR_STEPS + 1);
for (let i = 0; i <= LINEAR_STEPS; i++) {
  const l = i / LINEAR_STEPS;
  const c = l <= 0.0031308 ? l * 12.92 : 1.055 * Math.pow(l, 1 / 2.4) - 0.055;
  TO_SRGB[i] = Math.round(Math.min(1, Math.max(0, c)) * 255);
}

/** A rectangle of the source in (fractional) pixels. */
export interface SourceRect {
  x: number;
  y: number;
  width: number;
  height: number;
}

/** For each output index, the source pixels it covers and how much of each (weights sum to 1). */
function coverage(srcStart: number, srcSize: number, srcLimit: number, outSize: number) {
  const scale = srcSize / outSize;
  const first = new Int32Array(outSize);
  const count = new Int32Array(outSize);
  const weights: number[] = [];
  const offsets = new Int32Array(outSize);
  for (let o = 0; o < outSize; o++) {
    let a = srcStart + o * scale;
    let b = a + scale;
    if (scale < 1) {
      // Upscaling: one-pixel-wide windows centred on the sample position (bilinear).
      const centre = srcStart + (o + 0.5) * scale;
      a = centre - 0.5;
      b = centre + 0.5;
    }
    a = Math.max(0, a);
    b = Math.min(srcLimit, b);
    if (b <= a) { a = Math.min(srcLimit - 1, Math.floor(a)); b = a + 1; }
    const i0 = Math.floor(a);
    const i1 = Math.ceil(b);
    first[o] = i0;
    count[o] = i1 - i0;
    offsets[o] = weights.length;
    const total = b - a;
    for (let i = i0; i < i1; i++) weights.push((Math.min(b, i + 1) - Math.max(a, i)) / total);
  }
  return { first, count, offsets, weights: Float32Array.from(weights) };
}

/**
 * Area-averaging resample of `rect` of the source to outWidth×outHeight, in linear light with
 * premultiplied alpha: each output pixel is the exact area-weighted mean of the source pixels it
 * covers (a box filter over fractional pixel boundaries), which is what ImageMagick's `-scale`
 * and libvips' shrink compute.
 */
export function resampleArea(src: Raster, outWidth: number, outHeight: number, rect?: SourceRect): Raster {
  const r = rect ?? { x: 0, y: 0, width: src.width, height: src.height };
  const ch = src.channels;
  const hasAlpha = ch === 4;
  const cols = coverage(r.x, r.width, src.width, outWidth);
  const rows = coverage(r.y, r.height, src.height, outHeight);
  const sw = src.width;
  const data = src.data;
  // Horizontal pass over only the source rows the output needs: rowStart..rowEnd.
  const rowStart = rows.first[0]!;
  const rowEnd = rows.first[outHeight - 1]! + rows.count[outHeight - 1]!;
  const mid = new Float32Array((rowEnd - rowStart) * outWidth * ch);
  for (let y = rowStart; y < rowEnd; y++) {
    const srow = y * sw * ch;
    let m = (y - rowStart) * outWidth * ch;
    for (let o = 0; o < outWidth; o++) {
      let r0 = 0, g0 = 0, b0 = 0, a0 = 0;
      let w = cols.offsets[o]!;
      let s = srow + cols.first[o]! * ch;
      const n = cols.count[o]!;
      if (hasAlpha) {
        for (let i = 0; i < n; i++, w++, s += 4) {
          const aw = (data[s + 3]! / 255) * cols.weights[w]!;
          r0 += TO_LINEAR[data[s]!]! * aw;
          g0 += TO_LINEAR[data[s + 1]!]! * aw;
          b0 += TO_LINEAR[data[s + 2]!]! * aw;
          a0 += aw;
        }
        mid[m++] = r0; mid[m++] = g0; mid[m++] = b0; mid[m++] = a0;
      } else {
        for (let i = 0; i < n; i++, w++, s += 3) {
          const wt = cols.weights[w]!;
          r0 += TO_LINEAR[data[s]!]! * wt;
          g0 += TO_LINEAR[data[s + 1]!]! * wt;
          b0 += TO_LINEAR[data[s + 2]!]! * wt;
        }
        mid[m++] = r0; mid[m++] = g0; mid[m++] = b0;
      }
    }
  }
  const out = new Uint8Array(outWidth * outHeight * ch);
  const rowLen = outWidth * ch;
  const acc = new Float32Array(rowLen);
  for (let oy = 0; oy < outHeight; oy++) {
    acc.fill(0);
    const n = rows.count[oy]!;
    let w = rows.offsets[oy]!;
    for (let i = 0; i < n; i++, w++) {
      const wt = rows.weights[w]!;
      const base = (rows.first[oy]! + i - rowStart) * rowLen;
      for (let k = 0; k < rowLen; k++) acc[k] = acc[k]! + mid[base + k]! * wt;
    }
    let o = oy * rowLen;
    for (let k = 0; k < rowLen; k += ch) {
      if (hasAlpha) {
        const a = acc[k + 3]!;
        if (a <= 0) { out[o++] = 0; out[o++] = 0; out[o++] = 0; out[o++] = 0; continue; }
        out[o++] = TO_SRGB[Math.min(LINEAR_STEPS, Math.round((acc[k]! / a) * LINEAR_STEPS))]!;
        out[o++] = TO_SRGB[Math.min(LINEAR_STEPS, Math.round((acc[k + 1]! / a) * LINEAR_STEPS))]!;
        out[o++] = TO_SRGB[Math.min(LINEAR_STEPS, Math.round((acc[k + 2]! / a) * LINEAR_STEPS))]!;
        out[o++] = Math.round(Math.min(1, a) * 255);
      } else {
        out[o++] = TO_SRGB[Math.min(LINEAR_STEPS, Math.round(acc[k]! * LINEAR_STEPS))]!;
        out[o++] = TO_SRGB[Math.min(LINEAR_STEPS, Math.round(acc[k + 1]! * LINEAR_STEPS))]!;
        out[o++] = TO_SRGB[Math.min(LINEAR_STEPS, Math.round(acc[k + 2]! * LINEAR_STEPS))]!;
      }
    }
  }
  return { width: outWidth, height: outHeight, channels: src.channels, data: out };
}

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
    const n = rows.count[oy]!;
    let w = rows.offsets[oy]!;
    // The first source row sets the accumulator instead of a fill(0) per row: TypedArray.fill
    // costs ~130 ms per MiB in the engine, seconds over a 4 MP output.
    for (let i = 0; i < n; i++, w++) {
      const wt = rows.weights[w]!;
      const base = (rows.first[oy]! + i - rowStart) * rowLen;
      if (i === 0) for (let k = 0; k < rowLen; k++) acc[k] = mid[base + k]! * wt;
      else for (let k = 0; k < rowLen; k++) acc[k] = acc[k]! + mid[base + k]! * wt;
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

/**
 * Bilinear enlargement of `rect` of the source in sRGB (what browsers do when they enlarge), for
 * outputs larger than the rect on both axes (a cover's background picture). Each output row
 * blends its two source rows once over the rect's columns, then each pixel blends two of those:
 * about 3× fewer interpreted operations than `resampleArea`'s linear-light passes at 4 MP.
 */
export function enlargeBilinear(src: Raster, outWidth: number, outHeight: number, rect?: SourceRect): Raster {
  const r = rect ?? { x: 0, y: 0, width: src.width, height: src.height };
  const ch = src.channels;
  const sw = src.width;
  const data = src.data;
  // Source columns the output reads: first..last (inclusive).
  const first = Math.max(0, Math.floor(r.x));
  const last = Math.min(sw - 1, Math.ceil(r.x + r.width));
  const span = last - first + 1;
  const x0 = new Int32Array(outWidth);
  const fx = new Float32Array(outWidth);
  for (let o = 0; o < outWidth; o++) {
    const sx = Math.min(last, Math.max(first, r.x + ((o + 0.5) * r.width) / outWidth - 0.5));
    const i = Math.min(last - 1, Math.floor(sx));
    x0[o] = Math.max(0, i - first) * ch;
    fx[o] = span > 1 ? sx - Math.max(first, i) : 0;
  }
  const row = new Float32Array(span * ch + ch);
  const out = new Uint8Array(outWidth * outHeight * ch);
  for (let oy = 0; oy < outHeight; oy++) {
    const sy = Math.min(src.height - 1, Math.max(0, r.y + ((oy + 0.5) * r.height) / outHeight - 0.5));
    const y0 = Math.floor(sy);
    const y1 = Math.min(src.height - 1, y0 + 1);
    const fy = sy - y0;
    const a = (y0 * sw + first) * ch;
    const b = (y1 * sw + first) * ch;
    for (let k = 0; k < span * ch; k++) row[k] = data[a + k]! + (data[b + k]! - data[a + k]!) * fy;
    // One column past the end repeats the last, so the last output pixels blend with themselves.
    for (let c = 0; c < ch; c++) row[span * ch + c] = row[(span - 1) * ch + c]!;
    let o = oy * outWidth * ch;
    if (ch === 3) {
      for (let x = 0; x < outWidth; x++) {
        const p = x0[x]!, f = fx[x]!;
        out[o++] = row[p]! + (row[p + 3]! - row[p]!) * f + 0.5;
        out[o++] = row[p + 1]! + (row[p + 4]! - row[p + 1]!) * f + 0.5;
        out[o++] = row[p + 2]! + (row[p + 5]! - row[p + 2]!) * f + 0.5;
      }
    } else {
      for (let x = 0; x < outWidth; x++) {
        const p = x0[x]!, f = fx[x]!;
        for (let c = 0; c < 4; c++) out[o++] = row[p + c]! + (row[p + 4 + c]! - row[p + c]!) * f + 0.5;
      }
    }
  }
  return { width: outWidth, height: outHeight, channels: src.channels, data: out };
}

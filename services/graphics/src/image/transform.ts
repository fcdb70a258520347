import { ImageError } from './errors.ts';
import { decodeJpeg, type DecodeScale } from './jpeg-decode.ts';
import { encodeJpeg } from './jpeg-encode.ts';
import { applyOrientation } from './orientation.ts';
import { decodePng } from './png-decode.ts';
import { encodePng } from './png-encode.ts';
import { probeImage, type ImageInfo } from './probe.ts';
import type { Raster } from './raster.ts';
import { enlargeBilinear, resampleArea, type SourceRect } from './resample.ts';

export const DEFAULT_MAX_PIXELS = 50_000_000;

export type Fit = 'contain' | 'cover' | 'fill';

export interface TransformSpec {
  /** Output box; a missing side follows the aspect ratio. */
  width?: number;
  height?: number;
  /** contain: inside the box; cover: fill the box, centre-cropped; fill: exactly the box, stretched. */
  fit: Fit;
  /** Crop first, in displayed (oriented) pixels. */
  crop?: { left: number; top: number; width: number; height: number };
  /** Never make the image larger than it is (thumbnails). */
  withoutEnlargement?: boolean;
  format: 'png' | 'jpeg' | 'same';
  quality?: number;
  maxPixels?: number;
}

export interface TransformResult {
  bytes: Uint8Array;
  contentType: 'image/png' | 'image/jpeg';
  width: number;
  height: number;
  /** What the JPEG was decoded at (1 = full size, 8 = one eighth). */
  decodeScale: number;
  info: ImageInfo;
}

export type Stage = 'decoded' | 'resized' | 'encoded';

/** Output size and the source rectangle (displayed pixels) for a spec; pure, so unit-tested alone. */
export function plan(srcW: number, srcH: number, spec: TransformSpec): { width: number; height: number; rect: SourceRect } {
  let rect: SourceRect = { x: 0, y: 0, width: srcW, height: srcH };
  if (spec.crop) {
    const { left, top, width, height } = spec.crop;
    if (left + width > srcW || top + height > srcH) throw new ImageError('unsupported_encoding', `crop ${width}×${height}+${left}+${top} is outside the ${srcW}×${srcH} image`);
    rect = { x: left, y: top, width, height };
  }
  let w = spec.width;
  let h = spec.height;
  if (!w && !h) { w = rect.width; h = rect.height; }
  if (spec.fit === 'fill' || !w || !h) {
    w = w ?? Math.max(1, Math.round((rect.width * h!) / rect.height));
    h = h ?? Math.max(1, Math.round((rect.height * w) / rect.width));
  } else if (spec.fit === 'contain') {
    const s = Math.min(w / rect.width, h / rect.height);
    w = Math.max(1, Math.round(rect.width * s));
    h = Math.max(1, Math.round(rect.height * s));
  } else {
    // cover: the largest centred part of rect with the box's aspect ratio
    const aspect = w / h;
    if (rect.width / rect.height > aspect) {
      const cw = rect.height * aspect;
      rect = { x: rect.x + (rect.width - cw) / 2, y: rect.y, width: cw, height: rect.height };
    } else {
      const chh = rect.width / aspect;
      rect = { x: rect.x, y: rect.y + (rect.height - chh) / 2, width: rect.width, height: chh };
    }
  }
  if (spec.withoutEnlargement && (w > rect.width || h > rect.height)) {
    const s = Math.min(rect.width / w, rect.height / h);
    w = Math.max(1, Math.round(w * s));
    h = Math.max(1, Math.round(h * s));
  }
  return { width: w, height: h, rect };
}

/** The smallest JPEG decode (1/8, 1/4, 1/2, 1/1) that still has at least the output's pixels over the rect. */
export function chooseScale(rect: SourceRect, outW: number, outH: number): DecodeScale {
  for (const s of [8, 4, 2] as const) if (rect.width / s >= outW && rect.height / s >= outH) return s;
  return 1;
}

export interface RenderedImage {
  bytes: Uint8Array;
  contentType: 'image/png' | 'image/jpeg';
  width: number;
  height: number;
}

/**
 * Probe → pixel limit → one decode for every spec (a JPEG at the smallest scale every output
 * allows; `upscale` lets each output be up to that many times larger than the decode) → EXIF
 * orientation.
 */
async function decodeFor(bytes: Uint8Array, specs: TransformSpec[], upscale = 1) {
  const info = probeImage(bytes)!;
  const maxPixels = Math.min(...specs.map((s) => s.maxPixels ?? DEFAULT_MAX_PIXELS));
  if (info.width * info.height > maxPixels) throw new ImageError('image_too_large', `${info.width}×${info.height} is over the limit of ${maxPixels} pixels`);
  const targets = specs.map((spec) => plan(info.displayWidth, info.displayHeight, spec));
  let raster: Raster;
  let scale: DecodeScale = 1;
  if (info.format === 'jpeg') {
    scale = Math.min(...targets.map((t) => chooseScale(t.rect, t.width / upscale, t.height / upscale))) as DecodeScale;
    // Every output at most ~half the decoded size: chroma at its own resolution is enough.
    const coarseChroma = targets.every((t) => t.width * scale * 1.8 <= t.rect.width && t.height * scale * 1.8 <= t.rect.height);
    raster = decodeJpeg(bytes, { scale, maxPixels, coarseChroma });
  } else {
    raster = await decodePng(bytes, { maxPixels });
  }
  return { info, raster: applyOrientation(raster, info.orientation), scale, targets };
}

/** One output of a decode: its rect (displayed pixels) resampled to its size. */
function resizeTo(raster: Raster, scale: DecodeScale, target: ReturnType<typeof plan>): Raster {
  // A JPEG decoded at 1/s: each of its pixels is an s×s area of the source (its last row and
  // column may cover less), so a rect in displayed pixels maps by 1/s on both axes.
  const f = 1 / scale;
  const rect = { x: target.rect.x * f, y: target.rect.y * f, width: target.rect.width * f, height: target.rect.height * f };
  const same = rect.x === 0 && rect.y === 0 && rect.width === raster.width && rect.height === raster.height && raster.width === target.width && raster.height === target.height;
  return same ? raster : resampleArea(raster, target.width, target.height, rect);
}

/**
 * An image as pixels at a spec's size, not encoded (a cover's background). A JPEG may be decoded
 * at a smaller scale and enlarged up to `upscale` times (a background needs less detail than a
 * thumbnail, and a full 12 MP decode takes about a minute in the engine); an enlargement is
 * bilinear in sRGB.
 */
export async function decodeToRaster(bytes: Uint8Array, spec: TransformSpec, upscale = 1): Promise<Raster> {
  const { raster, scale, targets } = await decodeFor(bytes, [spec], upscale);
  const target = targets[0]!;
  const f = 1 / scale;
  const rect = { x: target.rect.x * f, y: target.rect.y * f, width: target.rect.width * f, height: target.rect.height * f };
  // Enlarging on both axes: bilinear in sRGB, several times cheaper at a cover's 4 MP.
  if (target.width >= rect.width && target.height >= rect.height) return enlargeBilinear(raster, target.width, target.height, rect);
  return resizeTo(raster, scale, target);
}

/**
 * Probe → (pixel limit) → decode once (a JPEG at the smallest scale every output allows) → EXIF
 * orientation → for each spec: crop + area resample → encode. `onStage` is awaited between
 * stages (the worker heartbeats there).
 */
export async function renderImages(
  bytes: Uint8Array,
  specs: TransformSpec[],
  onStage?: (stage: Stage, done: number) => Promise<void>,
): Promise<{ info: ImageInfo; decodeScale: DecodeScale; outputs: RenderedImage[] }> {
  const { info, raster, scale, targets } = await decodeFor(bytes, specs);
  await onStage?.('decoded', 0);
  const outputs: RenderedImage[] = [];
  for (const [i, spec] of specs.entries()) {
    const resized = resizeTo(raster, scale, targets[i]!);
    await onStage?.('resized', i);
    const format = spec.format === 'same' ? info.format : spec.format;
    const out = format === 'jpeg' ? encodeJpeg(resized, spec.quality ?? 82) : await encodePng(resized);
    outputs.push({ bytes: out, contentType: format === 'jpeg' ? 'image/jpeg' : 'image/png', width: resized.width, height: resized.height });
    await onStage?.('encoded', i + 1);
  }
  return { info, decodeScale: scale, outputs };
}

/** One output: `renderImages` with one spec. */
export async function transformImage(bytes: Uint8Array, spec: TransformSpec, onStage?: (stage: Stage) => Promise<void>): Promise<TransformResult> {
  const { info, decodeScale, outputs } = await renderImages(bytes, [spec], onStage && ((stage) => onStage(stage)));
  return { ...outputs[0]!, decodeScale, info };
}

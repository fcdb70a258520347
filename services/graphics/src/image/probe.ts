import { corrupt, ImageError } from './errors.ts';

/** What the header bytes say about an image, without decoding it. */
export interface ImageInfo {
  format: 'png' | 'jpeg';
  /** Stored dimensions (before EXIF orientation). */
  width: number;
  height: number;
  /** Dimensions as displayed (EXIF orientation 5–8 swap them). */
  displayWidth: number;
  displayHeight: number;
  bitDepth: number;
  /** png: grey | rgb | palette | grey-alpha | rgba; jpeg: grey | ycbcr | rgb | cmyk | ycck */
  colorType: string;
  channels: number;
  hasAlpha: boolean;
  interlaced: boolean;
  /** jpeg: baseline | extended | progressive | lossless; arithmetic coding named apart */
  encoding?: string;
  arithmetic?: boolean;
  /** EXIF orientation 1–8 (1 when absent). */
  orientation: number;
}

export const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

const PNG_COLOR_TYPES: Record<number, { name: string; channels: number; depths: number[] }> = {
  0: { name: 'grey', channels: 1, depths: [1, 2, 4, 8, 16] },
  2: { name: 'rgb', channels: 3, depths: [8, 16] },
  3: { name: 'palette', channels: 1, depths: [1, 2, 4, 8] },
  4: { name: 'grey-alpha', channels: 2, depths: [8, 16] },
  6: { name: 'rgba', channels: 4, depths: [8, 16] },
};

export function sniffFormat(bytes: Uint8Array): 'png' | 'jpeg' | null {
  if (bytes.length >= 8 && PNG_SIGNATURE.every((b, i) => bytes[i] === b)) return 'png';
  if (bytes.length >= 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) return 'jpeg';
  return null;
}

/**
 * Reads format, dimensions, depth, colour type and orientation from the first bytes of a file.
 * `partial` says the bytes are only the head of a longer file: a header that runs past them
 * answers `null` (read more) instead of `corrupt_image`.
 */
export function probeImage(bytes: Uint8Array, options: { partial?: boolean } = {}): ImageInfo | null {
  if (bytes.length === 0) throw new ImageError('empty_image', 'the file is empty');
  const format = sniffFormat(bytes);
  if (format === 'png') return probePng(bytes, options.partial ?? false);
  if (format === 'jpeg') return probeJpeg(bytes, options.partial ?? false);
  if (bytes.length < 8 && options.partial) return null;
  throw new ImageError('unsupported_format', 'not a PNG or JPEG image');
}

const u32 = (b: Uint8Array, p: number) => ((b[p]! << 24) | (b[p + 1]! << 16) | (b[p + 2]! << 8) | b[p + 3]!) >>> 0;
const u16 = (b: Uint8Array, p: number) => (b[p]! << 8) | b[p + 1]!;

function probePng(b: Uint8Array, partial: boolean): ImageInfo | null {
  if (b.length < 33) {
    if (partial) return null;
    throw corrupt('PNG file ends inside its header');
  }
  if (u32(b, 8) !== 13 || String.fromCharCode(b[12]!, b[13]!, b[14]!, b[15]!) !== 'IHDR') throw corrupt('PNG does not start with an IHDR chunk');
  const width = u32(b, 16);
  const height = u32(b, 20);
  const bitDepth = b[24]!;
  const colorTypeCode = b[25]!;
  const interlace = b[28]!;
  const ct = PNG_COLOR_TYPES[colorTypeCode];
  if (width === 0 || height === 0 || width > 0x7fffffff || height > 0x7fffffff) throw corrupt(`PNG dimensions ${width}×${height} are invalid`);
  if (!ct || !ct.depths.includes(bitDepth)) throw corrupt(`PNG colour type ${colorTypeCode} with bit depth ${bitDepth} is invalid`);
  if (b[26] !== 0 || b[27] !== 0 || interlace > 1) throw corrupt('PNG compression, filter or interlace method is invalid');
  let hasAlpha = colorTypeCode === 4 || colorTypeCode === 6;
  // A tRNS chunk before IDAT gives grey, rgb and palette images alpha; look for it in what we have.
  let p = 33;
  while (p + 8 <= b.length) {
    const len = u32(b, p);
    const type = String.fromCharCode(b[p + 4]!, b[p + 5]!, b[p + 6]!, b[p + 7]!);
    if (type === 'tRNS') hasAlpha = true;
    if (type === 'IDAT' || type === 'IEND') break;
    p += 12 + len;
  }
  return {
    format: 'png', width, height, displayWidth: width, displayHeight: height, bitDepth,
    colorType: ct.name, channels: ct.channels, hasAlpha, interlaced: interlace === 1, orientation: 1,
  };
}

/** SOF markers: C0 baseline, C1 extended, C2 progressive, C3 lossless; +8 arithmetic (C9–CB); C5–C7, CD–CF hierarchical. */
const SOF_ENCODING: Record<number, string> = {
  0xc0: 'baseline', 0xc1: 'extended', 0xc2: 'progressive', 0xc3: 'lossless',
  0xc5: 'differential-sequential', 0xc6: 'differential-progressive', 0xc7: 'differential-lossless',
  0xc9: 'extended', 0xca: 'progressive', 0xcb: 'lossless',
  0xcd: 'differential-sequential', 0xce: 'differential-progressive', 0xcf: 'differential-lossless',
};

function probeJpeg(b: Uint8Array, partial: boolean): ImageInfo | null {
  let p = 2;
  let orientation = 1;
  let adobeTransform: number | null = null;
  for (;;) {
    // Markers may be preceded by any number of 0xFF fill bytes.
    while (p < b.length && b[p] === 0xff && b[p + 1] === 0xff) p++;
    if (p + 4 > b.length) {
      if (partial) return null;
      throw corrupt('JPEG ends before its frame header');
    }
    if (b[p] !== 0xff) throw corrupt(`JPEG marker expected at byte ${p}`);
    const marker = b[p + 1]!;
    if (marker === 0xd9 || marker === 0xda) throw corrupt('JPEG has no frame header before its image data');
    if (marker === 0x01 || (marker >= 0xd0 && marker <= 0xd7)) { p += 2; continue; }
    const len = u16(b, p + 2);
    if (len < 2) throw corrupt('JPEG segment length is invalid');
    const end = p + 2 + len;
    if (marker in SOF_ENCODING) {
      if (end > b.length) {
        if (partial) return null;
        throw corrupt('JPEG ends inside its frame header');
      }
      const bitDepth = b[p + 4]!;
      const height = u16(b, p + 5);
      const width = u16(b, p + 7);
      const comps = b[p + 9]!;
      if (width === 0) throw corrupt('JPEG width is 0');
      if (height === 0) throw new ImageError('unsupported_encoding', 'JPEG with its height in a DNL marker is not supported');
      if (comps !== 1 && comps !== 3 && comps !== 4) throw corrupt(`JPEG has ${comps} components`);
      if (len < 8 + 3 * comps) throw corrupt('JPEG frame header is too short');
      const ids = [...Array(comps).keys()].map((i) => b[p + 10 + 3 * i]!);
      let colorType: string;
      if (comps === 1) colorType = 'grey';
      else if (comps === 4) colorType = adobeTransform === 2 ? 'ycck' : 'cmyk';
      else if (adobeTransform === 0 || (ids[0] === 0x52 && ids[1] === 0x47 && ids[2] === 0x42)) colorType = 'rgb';
      else colorType = 'ycbcr';
      const swap = orientation >= 5;
      return {
        format: 'jpeg', width, height, displayWidth: swap ? height : width, displayHeight: swap ? width : height,
        bitDepth, colorType, channels: comps, hasAlpha: false,
        interlaced: SOF_ENCODING[marker]!.includes('progressive'),
        encoding: SOF_ENCODING[marker]!, arithmetic: marker >= 0xc9, orientation,
      };
    }
    if (marker === 0xe1 && end <= b.length && len >= 16) orientation = readExifOrientation(b, p + 4, end) ?? orientation;
    if (marker === 0xee && end <= b.length && len >= 14 && String.fromCharCode(...b.subarray(p + 4, p + 9)) === 'Adobe') adobeTransform = b[p + 15]!;
    p = end;
  }
}

/** EXIF orientation (tag 0x0112 of IFD0) from an APP1 segment's payload, or null. */
export function readExifOrientation(b: Uint8Array, start: number, end: number): number | null {
  if (String.fromCharCode(b[start]!, b[start + 1]!, b[start + 2]!, b[start + 3]!) !== 'Exif' || b[start + 4] !== 0 || b[start + 5] !== 0) return null;
  const t = start + 6;
  if (t + 8 > end) return null;
  const little = b[t] === 0x49 && b[t + 1] === 0x49;
  if (!little && !(b[t] === 0x4d && b[t + 1] === 0x4d)) return null;
  const r16 = (o: number) => (little ? b[o]! | (b[o + 1]! << 8) : (b[o]! << 8) | b[o + 1]!);
  const r32 = (o: number) => (little ? (b[o]! | (b[o + 1]! << 8) | (b[o + 2]! << 16) | (b[o + 3]! << 24)) >>> 0 : u32(b, o));
  if (r16(t + 2) !== 42) return null;
  const ifd = t + r32(t + 4);
  if (ifd + 2 > end) return null;
  const count = r16(ifd);
  for (let i = 0; i < count; i++) {
    const entry = ifd + 2 + i * 12;
    if (entry + 12 > end) return null;
    if (r16(entry) === 0x0112) {
      const value = r16(entry + 8);
      return value >= 1 && value <= 8 ? value : null;
    }
  }
  return null;
}

// Test support only: ImageMagick (Debian's /usr/bin/convert) as the independent reference.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import type { Raster } from './raster.ts';

export const CONVERT = '/usr/bin/convert';
export const hasImageMagick = existsSync(CONVERT);
export const skipReason = 'ImageMagick is absent: apt-get install -y imagemagick (binary /usr/bin/convert) to run the reference comparisons';

export function convert(args: string[], input?: Uint8Array): Buffer {
  return execFileSync(CONVERT, args, { input, maxBuffer: 512 * 1024 * 1024, env: { ...process.env, MAGICK_THREAD_LIMIT: '1' } });
}

/** Decodes with ImageMagick to 8-bit RGB (`alpha: false`) or RGBA. */
export function referencePixels(bytes: Uint8Array, extra: string[] = [], alpha = false, before: string[] = []): Raster {
  const out = convert([...before, before.length ? 'jpeg:-' : '-', ...extra, '-depth', '8', alpha ? 'pam:-' : 'ppm:-'], bytes);
  return parseNetpbm(out);
}

export function parseNetpbm(buf: Buffer): Raster {
  const text = buf.subarray(0, 200).toString('latin1');
  if (text.startsWith('P6')) {
    const m = /^P6\s+(\d+)\s+(\d+)\s+(\d+)\s/.exec(text)!;
    const start = m[0].length;
    const width = Number(m[1]);
    const height = Number(m[2]);
    return { width, height, channels: 3, data: new Uint8Array(buf.subarray(start, start + width * height * 3)) };
  }
  const end = text.indexOf('ENDHDR\n') + 7;
  const header = Object.fromEntries(text.slice(0, end).split('\n').slice(1).map((l) => l.split(' ')).filter((p) => p.length === 2).map(([k, v]) => [k, v]));
  const width = Number(header.WIDTH);
  const height = Number(header.HEIGHT);
  const depth = Number(header.DEPTH);
  const raw = buf.subarray(end, end + width * height * depth);
  if (depth === 4) return { width, height, channels: 4, data: new Uint8Array(raw) };
  // grey / grey-alpha / rgb PAM → RGB(A)
  const channels = depth === 2 || depth === 4 ? 4 : 3;
  const data = new Uint8Array(width * height * channels);
  for (let i = 0; i < width * height; i++) {
    const s = i * depth;
    const o = i * channels;
    if (depth <= 2) { data[o] = data[o + 1] = data[o + 2] = raw[s]!; if (depth === 2) data[o + 3] = raw[s + 1]!; }
    else { data[o] = raw[s]!; data[o + 1] = raw[s + 1]!; data[o + 2] = raw[s + 2]!; }
  }
  return { width, height, channels: channels as 3 | 4, data };
}

/** PSNR over the colour channels (alpha compared too when both have it), in dB; Infinity when equal. */
export function psnr(a: Raster, b: Raster): number {
  if (a.width !== b.width || a.height !== b.height) throw new Error(`sizes differ: ${a.width}×${a.height} vs ${b.width}×${b.height}`);
  const ch = Math.min(a.channels, b.channels);
  let sum = 0;
  let n = 0;
  for (let i = 0; i < a.width * a.height; i++) {
    for (let c = 0; c < ch; c++) {
      const d = a.data[i * a.channels + c]! - b.data[i * b.channels + c]!;
      sum += d * d;
      n++;
    }
  }
  return sum === 0 ? Infinity : 10 * Math.log10((255 * 255) / (sum / n));
}

const ALPHA_GRADIENT = ['(', '-size', '239x360', 'gradient:white-black', '-rotate', '90', '-alpha', 'off', ')', '-compose', 'CopyOpacity', '-composite'];

/** PNGs of every colour type, depth and interlace, made by ImageMagick from a real photograph. */
export const PNG_VARIANTS: { name: string; args: string[]; expect: Record<string, unknown> }[] = [
  { name: 'grey 8-bit', args: ['-colorspace', 'gray', '-define', 'png:color-type=0', '-define', 'png:bit-depth=8', 'PNG:-'], expect: { colorType: 'grey', bitDepth: 8 } },
  { name: 'grey 16-bit', args: ['-colorspace', 'gray', '-define', 'png:color-type=0', '-define', 'png:bit-depth=16', 'PNG:-'], expect: { colorType: 'grey', bitDepth: 16 } },
  { name: 'grey 1-bit', args: ['-monochrome', 'PNG:-'], expect: { colorType: 'grey', bitDepth: 1 } },
  { name: 'grey 4-bit', args: ['-colorspace', 'gray', '-define', 'png:color-type=0', '-define', 'png:bit-depth=4', 'PNG:-'], expect: { colorType: 'grey', bitDepth: 4 } },
  { name: 'palette 8-bit', args: ['-colors', '200', 'PNG8:-'], expect: { colorType: 'palette', bitDepth: 8 } },
  { name: 'palette with transparency', args: ['(', '-size', '360x239', 'xc:white', '-fill', 'black', '-draw', 'rectangle 0,0 40,30', '-alpha', 'off', ')', '-compose', 'CopyOpacity', '-composite', '-colors', '12', 'PNG8:-'], expect: { colorType: 'palette', hasAlpha: true } },
  { name: 'rgb 8-bit', args: ['PNG24:-'], expect: { colorType: 'rgb', bitDepth: 8 } },
  { name: 'rgb 16-bit', args: ['-depth', '16', 'PNG48:-'], expect: { colorType: 'rgb', bitDepth: 16 } },
  { name: 'rgba 8-bit', args: [...ALPHA_GRADIENT, 'PNG32:-'], expect: { colorType: 'rgba', bitDepth: 8, hasAlpha: true } },
  { name: 'rgba 16-bit', args: [...ALPHA_GRADIENT, '-depth', '16', 'PNG64:-'], expect: { colorType: 'rgba', bitDepth: 16, hasAlpha: true } },
  { name: 'grey+alpha 8-bit', args: ['-colorspace', 'gray', ...ALPHA_GRADIENT, '-define', 'png:color-type=4', 'PNG:-'], expect: { colorType: 'grey-alpha', bitDepth: 8, hasAlpha: true } },
  { name: 'rgb interlaced', args: ['-interlace', 'PNG', 'PNG24:-'], expect: { colorType: 'rgb', interlaced: true } },
  { name: 'palette 4-bit interlaced', args: ['-colors', '4', '-interlace', 'PNG', '-define', 'png:color-type=3', '-define', 'png:bit-depth=4', 'PNG:-'], expect: { colorType: 'palette', bitDepth: 4, interlaced: true } },
  { name: 'rgba 16-bit interlaced', args: [...ALPHA_GRADIENT, '-depth', '16', '-interlace', 'PNG', 'PNG64:-'], expect: { colorType: 'rgba', bitDepth: 16, interlaced: true } },
];

import { corrupt, ImageError } from './errors.ts';
import type { Raster } from './raster.ts';

/**
 * A baseline (and extended-sequential, Huffman-coded, 8-bit) JPEG decoder that decodes at 1/1,
 * 1/2, 1/4 or 1/8 scale from the DCT coefficients, as libjpeg's scaled decoding does: every
 * coefficient is still entropy-decoded, but each 8×8 block goes straight to its N×N area averages
 * through one small matrix per axis (AREA below) instead of a full IDCT; at 1/8 only the DC term
 * is used.
 * Chroma blocks of subsampled components are transformed at twice the size (up to 8) so no
 * upsampling is needed at reduced scales. Progressive, arithmetic-coded, lossless, 12-bit and
 * CMYK JPEGs are refused with `unsupported_encoding`.
 */

/** Natural (row-major) index of each zigzag position. */
const ZIGZAG = new Int32Array([
  0, 1, 8, 16, 9, 2, 3, 10, 17, 24, 32, 25, 18, 11, 4, 5, 12, 19, 26, 33, 40, 48, 41, 34, 27, 20, 13, 6, 7, 14, 21, 28,
  35, 42, 49, 56, 57, 50, 43, 36, 29, 22, 15, 23, 30, 37, 44, 51, 58, 59, 52, 45, 38, 31, 39, 46, 53, 60, 61, 54, 47, 55, 62, 63,
]);

export type DecodeScale = 1 | 2 | 4 | 8;

interface Huffman {
  /** 9-bit lookahead: (length << 8) | symbol, 0 when the code is longer. */
  lut: Uint16Array;
  maxcode: Int32Array;
  valptr: Int32Array;
  mincode: Int32Array;
  values: Uint8Array;
}

interface Frame {
  width: number;
  height: number;
  comps: Component[];
  hmax: number;
  vmax: number;
  mcusX: number;
  mcusY: number;
}

interface Component {
  id: number;
  h: number;
  v: number;
  tq: number;
  blocksPerLine: number;
  blocksPerColumn: number;
  /** output samples per block, horizontally and vertically */
  nx: number;
  ny: number;
  /** replication to reach the luma-scaled grid (1 unless subsampled at full scale) */
  repX: number;
  repY: number;
  plane: Uint8Array;
  planeWidth: number;
  pred: number;
  dc: Huffman | null;
  ac: Huffman | null;
}

const LUT_BITS = 9;

function buildHuffman(counts: Uint8Array, values: Uint8Array): Huffman {
  const lut = new Uint16Array(1 << LUT_BITS);
  const maxcode = new Int32Array(18).fill(-1);
  const valptr = new Int32Array(17);
  const mincode = new Int32Array(17);
  let code = 0;
  let k = 0;
  for (let len = 1; len <= 16; len++) {
    const n = counts[len - 1]!;
    valptr[len] = k;
    mincode[len] = code;
    for (let i = 0; i < n; i++) {
      if (len <= LUT_BITS) {
        const shift = LUT_BITS - len;
        const base = code << shift;
        for (let j = 0; j < 1 << shift; j++) lut[base + j] = (len << 8) | values[k]!;
      }
      code++;
      k++;
    }
    if (code > 1 << len) throw corrupt('JPEG Huffman table is over-subscribed');
    maxcode[len] = n ? code - 1 : -1;
    code <<= 1;
  }
  maxcode[17] = 0x7fffffff;
  return { lut, maxcode, valptr, mincode, values };
}

/**
 * AREA[n][m * 8 + k]: the mean, over the 8/n samples of output cell m, of the 8-point inverse DCT
 * basis k (½·c(k)·cos((2x+1)kπ/16)). Multiplying a block's coefficients by it (rows, then
 * columns) gives the exact n×n area averages of the full 8×8 decode — an IDCT and a box
 * downscale in one step, cheaper than the IDCT alone for n < 8. AREA[8] is the plain IDCT.
 */
const AREA: Record<number, Float32Array> = {};
for (const n of [1, 2, 4, 8]) {
  const t = new Float32Array(n * 8);
  const group = 8 / n;
  for (let m = 0; m < n; m++) {
    for (let k = 0; k < 8; k++) {
      let sum = 0;
      for (let j = 0; j < group; j++) sum += 0.5 * (k === 0 ? Math.SQRT1_2 : 1) * Math.cos(((2 * (m * group + j) + 1) * k * Math.PI) / 16);
      t[m * 8 + k] = sum / group;
    }
  }
  AREA[n] = t;
}

export interface JpegDecodeOptions {
  /** 1 = full size, 8 = one eighth. */
  scale?: DecodeScale;
  maxPixels?: number;
}

export function decodeJpeg(data: Uint8Array, options: JpegDecodeOptions = {}): Raster {
  const scale = options.scale ?? 1;
  const N = 8 / scale;
  const qt: (Int32Array | undefined)[] = [];
  const dcTables: (Huffman | undefined)[] = [];
  const acTables: (Huffman | undefined)[] = [];
  let frame: Frame | null = null;
  let restartInterval = 0;
  let adobeTransform: number | null = null;
  let scans = 0;
  let p = 2;
  if (data[0] !== 0xff || data[1] !== 0xd8) throw new ImageError('unsupported_format', 'not a JPEG');
  const u16 = (o: number) => {
    if (o + 1 >= data.length) throw corrupt('JPEG ends inside a segment');
    return (data[o]! << 8) | data[o + 1]!;
  };

  for (;;) {
    while (p < data.length && data[p] === 0xff && data[p + 1] === 0xff) p++;
    if (p + 1 >= data.length) {
      if (scans > 0 && frame) break; // no EOI: accept what the scans decoded completely
      throw corrupt('JPEG ends before its image data');
    }
    if (data[p] !== 0xff) throw corrupt(`JPEG marker expected at byte ${p}`);
    const marker = data[p + 1]!;
    p += 2;
    if (marker === 0xd9) break;
    if (marker === 0x01 || (marker >= 0xd0 && marker <= 0xd7)) continue;
    const len = u16(p);
    const end = p + len;
    if (len < 2 || end > data.length) throw corrupt('JPEG ends inside a segment');
    const seg = p + 2;
    switch (marker) {
      case 0xdb: { // DQT
        let o = seg;
        while (o < end) {
          const pq = data[o]! >> 4;
          const tq = data[o]! & 15;
          if (tq > 3) throw corrupt('JPEG quantisation table id out of range');
          o++;
          const t = new Int32Array(64);
          for (let i = 0; i < 64; i++) {
            t[i] = pq ? (data[o]! << 8) | data[o + 1]! : data[o]!;
            o += pq ? 2 : 1;
          }
          if (o > end) throw corrupt('JPEG quantisation table is truncated');
          qt[tq] = t;
        }
        break;
      }
      case 0xc4: { // DHT
        let o = seg;
        while (o < end) {
          const tc = data[o]! >> 4;
          const th = data[o]! & 15;
          if (th > 3 || tc > 1) throw corrupt('JPEG Huffman table id out of range');
          const counts = data.subarray(o + 1, o + 17);
          let total = 0;
          for (let i = 0; i < 16; i++) total += counts[i]!;
          if (o + 17 + total > end || total > 256) throw corrupt('JPEG Huffman table is truncated');
          const table = buildHuffman(counts, data.subarray(o + 17, o + 17 + total));
          (tc === 0 ? dcTables : acTables)[th] = table;
          o += 17 + total;
        }
        break;
      }
      case 0xdd: restartInterval = u16(seg); break;
      case 0xee:
        if (len >= 14 && String.fromCharCode(...data.subarray(seg, seg + 5)) === 'Adobe') adobeTransform = data[seg + 11]!;
        break;
      case 0xc0: case 0xc1: {
        if (frame) throw corrupt('JPEG has two frame headers');
        if (data[seg] !== 8) throw new ImageError('unsupported_encoding', `JPEG with ${data[seg]}-bit samples is not supported`);
        const height = u16(seg + 1);
        const width = u16(seg + 3);
        const nc = data[seg + 5]!;
        if (!width || !height) throw new ImageError('unsupported_encoding', 'JPEG without dimensions in its frame header is not supported');
        if (nc === 4) throw new ImageError('unsupported_encoding', 'CMYK JPEG is not supported');
        if (nc !== 1 && nc !== 3) throw corrupt(`JPEG has ${nc} components`);
        if (len < 8 + 3 * nc) throw corrupt('JPEG frame header is too short');
        if (options.maxPixels && width * height > options.maxPixels) throw new ImageError('image_too_large', `${width}×${height} is over the limit of ${options.maxPixels} pixels`);
        const comps: Component[] = [];
        for (let i = 0; i < nc; i++) {
          const o = seg + 6 + 3 * i;
          const h = data[o + 1]! >> 4;
          const v = data[o + 1]! & 15;
          if (h < 1 || h > 4 || v < 1 || v > 4) throw corrupt('JPEG sampling factor out of range');
          comps.push({ id: data[o]!, h, v, tq: data[o + 2]!, blocksPerLine: 0, blocksPerColumn: 0, nx: 0, ny: 0, repX: 1, repY: 1, plane: new Uint8Array(0), planeWidth: 0, pred: 0, dc: null, ac: null });
        }
        const hmax = Math.max(...comps.map((c) => c.h));
        const vmax = Math.max(...comps.map((c) => c.v));
        const mcusX = Math.ceil(width / (8 * hmax));
        const mcusY = Math.ceil(height / (8 * vmax));
        for (const c of comps) {
          if (hmax % c.h || vmax % c.v) throw new ImageError('unsupported_encoding', 'JPEG with fractional chroma subsampling is not supported');
          c.blocksPerLine = mcusX * c.h;
          c.blocksPerColumn = mcusY * c.v;
          const wantX = (N * hmax) / c.h;
          const wantY = (N * vmax) / c.v;
          c.nx = Math.min(8, wantX);
          c.ny = Math.min(8, wantY);
          if (c.nx !== 1 && c.nx !== 2 && c.nx !== 4 && c.nx !== 8) throw new ImageError('unsupported_encoding', 'JPEG sampling factors are not supported at this scale');
          if (c.ny !== 1 && c.ny !== 2 && c.ny !== 4 && c.ny !== 8) throw new ImageError('unsupported_encoding', 'JPEG sampling factors are not supported at this scale');
          c.repX = wantX / c.nx;
          c.repY = wantY / c.ny;
          c.planeWidth = c.blocksPerLine * c.nx;
          c.plane = new Uint8Array(c.planeWidth * c.blocksPerColumn * c.ny);
        }
        frame = { width, height, comps, hmax, vmax, mcusX, mcusY };
        break;
      }
      case 0xc2: case 0xc6: case 0xca: case 0xce:
        throw new ImageError('unsupported_encoding', 'progressive JPEG is not supported');
      case 0xc3: case 0xc7: case 0xcb: case 0xcf:
        throw new ImageError('unsupported_encoding', 'lossless JPEG is not supported');
      case 0xc5: case 0xcd:
        throw new ImageError('unsupported_encoding', 'hierarchical JPEG is not supported');
      case 0xc9:
        throw new ImageError('unsupported_encoding', 'arithmetic-coded JPEG is not supported');
      case 0xda: { // SOS
        if (!frame) throw corrupt('JPEG scan before its frame header');
        const ns = data[seg]!;
        if (ns < 1 || ns > 4 || len < 6 + 2 * ns) throw corrupt('JPEG scan header is invalid');
        const scanComps: Component[] = [];
        for (let i = 0; i < ns; i++) {
          const id = data[seg + 1 + 2 * i]!;
          const c = frame.comps.find((x) => x.id === id);
          if (!c) throw corrupt('JPEG scan names an unknown component');
          const sel = data[seg + 2 + 2 * i]!;
          c.dc = dcTables[sel >> 4] ?? null;
          c.ac = acTables[sel & 15] ?? null;
          if (!c.dc || !c.ac) throw corrupt('JPEG scan uses a missing Huffman table');
          if (!qt[c.tq]) throw corrupt('JPEG component uses a missing quantisation table');
          scanComps.push(c);
        }
        p = decodeScan(data, end, frame, scanComps, restartInterval, qt, N);
        scans++;
        continue;
      }
      default:
        break; // APPn, COM, DNL after the scan, etc.
    }
    p = end;
  }
  if (!frame || scans === 0) throw corrupt('JPEG has no image data');
  return toRaster(frame, N, adobeTransform);
}

function decodeScan(
  data: Uint8Array,
  start: number,
  frame: Frame,
  comps: Component[],
  restartInterval: number,
  qt: (Int32Array | undefined)[],
  N: number,
): number {
  let pos = start;
  let bitBuf = 0;
  let bitCnt = 0;
  let zeroFill = 0;
  const length = data.length;
  const coef = new Float32Array(64);

  const tmp = new Float32Array(64);
  const touched = new Int32Array(64);

  const decodeBlock = (c: Component, q: Int32Array, row: number, col: number) => {
    const nx = c.nx;
    const ny = c.ny;
    const dcOnly = nx === 1 && ny === 1;
    // The entropy decoding is written inline with the bit reader in locals: the component's
    // interpreter pays for every call and every closure-variable access (docs/decisions.md).
    let buf = bitBuf;
    let cnt = bitCnt;
    let p = pos;
    const dcT = c.dc!;
    const acT = c.ac!;
    let maxRow = 0;
    let maxCol = 0;
    let nTouched = 0;
    let k = 0;
    while (k < 64) {
      if (cnt < 16) {
        while (cnt <= 24) {
          let byte = 0;
          if (p < length) {
            byte = data[p]!;
            if (byte === 0xff) {
              if (data[p + 1] === 0) p += 2;
              else { byte = 0; zeroFill++; }
            } else p++;
          } else zeroFill++;
          buf = (buf << 8) | byte;
          cnt += 8;
        }
      }
      const t = k === 0 ? dcT : acT;
      let sym: number;
      const e = t.lut[(buf >>> (cnt - LUT_BITS)) & 511]!;
      if (e) {
        cnt -= e >> 8;
        sym = e & 255;
      } else {
        const code16 = (buf >>> (cnt - 16)) & 0xffff;
        sym = -1;
        for (let l = LUT_BITS + 1; l <= 16; l++) {
          const cd = code16 >>> (16 - l);
          if (cd <= t.maxcode[l]!) {
            cnt -= l;
            sym = t.values[t.valptr[l]! + cd - t.mincode[l]!]!;
            break;
          }
        }
        if (sym < 0) throw corrupt('JPEG entropy data has an invalid Huffman code');
      }
      let s: number;
      if (k === 0) {
        if (sym > 16) throw corrupt('JPEG DC difference out of range');
        s = sym;
      } else {
        s = sym & 15;
        const r = sym >> 4;
        if (s === 0) {
          if (r === 15) { k += 16; continue; }
          break;
        }
        k += r;
        if (k > 63) throw corrupt('JPEG block has more than 64 coefficients');
      }
      let v = 0;
      if (s) {
        if (cnt < s) {
          while (cnt <= 24) {
            let byte = 0;
            if (p < length) {
              byte = data[p]!;
              if (byte === 0xff) {
                if (data[p + 1] === 0) p += 2;
                else { byte = 0; zeroFill++; }
              } else p++;
            } else zeroFill++;
            buf = (buf << 8) | byte;
            cnt += 8;
          }
        }
        v = (buf >>> (cnt - s)) & ((1 << s) - 1);
        cnt -= s;
        if (v < 1 << (s - 1)) v = v - (1 << s) + 1;
      }
      if (k === 0) {
        c.pred += v;
        coef[0] = c.pred * q[0]!;
      } else if (!dcOnly) {
        const z = ZIGZAG[k]!;
        coef[z] = v * q[k]!;
        touched[nTouched++] = z;
        if (z >> 3 > maxRow) maxRow = z >> 3;
        if ((z & 7) > maxCol) maxCol = z & 7;
      }
      k++;
    }
    bitBuf = buf;
    bitCnt = cnt;
    pos = p;
    const plane = c.plane;
    const pw = c.planeWidth;
    let out = row * ny * pw + col * nx;
    if (dcOnly) {
      const v = Math.round(coef[0]! / 8 + 128);
      plane[out] = v < 0 ? 0 : v > 255 ? 255 : v;
      return;
    }
    const mx = AREA[nx]!;
    const my = AREA[ny]!;
    for (let r = 0; r <= maxRow; r++) {
      const cr = r * 8;
      for (let x = 0; x < nx; x++) {
        let sum = 0;
        const tb = x * 8;
        for (let u = 0; u <= maxCol; u++) sum += coef[cr + u]! * mx[tb + u]!;
        tmp[cr + x] = sum;
      }
    }
    for (let y = 0; y < ny; y++) {
      const tb = y * 8;
      for (let x = 0; x < nx; x++) {
        let sum = 0;
        for (let r = 0; r <= maxRow; r++) sum += tmp[r * 8 + x]! * my[tb + r]!;
        const v = Math.round(sum + 128);
        plane[out + x] = v < 0 ? 0 : v > 255 ? 255 : v;
      }
      out += pw;
    }
    for (let i = 0; i < nTouched; i++) coef[touched[i]!] = 0;
  };

  const restart = () => {
    bitBuf = 0;
    bitCnt = 0;
    zeroFill = 0;
    while (pos + 1 < length && !(data[pos] === 0xff && data[pos + 1]! >= 0xd0 && data[pos + 1]! <= 0xd7)) pos++;
    if (pos + 1 >= length) throw corrupt('JPEG ends before a restart marker');
    pos += 2;
    for (const c of comps) c.pred = 0;
  };

  for (const c of comps) c.pred = 0;
  if (comps.length === 1) {
    // Non-interleaved: the component's own blocks, only those covering the image.
    const c = comps[0]!;
    const w = Math.ceil(Math.ceil((frame.width * c.h) / frame.hmax) / 8);
    const h = Math.ceil(Math.ceil((frame.height * c.v) / frame.vmax) / 8);
    const q = qt[c.tq]!;
    let n = 0;
    for (let row = 0; row < h; row++) {
      for (let col = 0; col < w; col++) {
        if (restartInterval && n > 0 && n % restartInterval === 0) restart();
        decodeBlock(c, q, row, col);
        n++;
      }
      if (zeroFill > 4) throw corrupt('JPEG image data is truncated');
    }
  } else {
    const qs = comps.map((c) => qt[c.tq]!);
    let n = 0;
    for (let my = 0; my < frame.mcusY; my++) {
      for (let mx = 0; mx < frame.mcusX; mx++) {
        if (restartInterval && n > 0 && n % restartInterval === 0) restart();
        for (let i = 0; i < comps.length; i++) {
          const c = comps[i]!;
          const q = qs[i]!;
          for (let v = 0; v < c.v; v++) for (let h = 0; h < c.h; h++) decodeBlock(c, q, my * c.v + v, mx * c.h + h);
        }
        n++;
      }
      if (zeroFill > 4) throw corrupt('JPEG image data is truncated');
    }
  }
  // Find the marker that ends the scan.
  while (pos + 1 < length && !(data[pos] === 0xff && data[pos + 1] !== 0 && !(data[pos + 1]! >= 0xd0 && data[pos + 1]! <= 0xd7))) pos++;
  return pos;
}

function toRaster(
  frame: Frame,
  N: number,
  adobeTransform: number | null,
): Raster {
  const width = Math.ceil((frame.width * N) / 8);
  const height = Math.ceil((frame.height * N) / 8);
  const out = new Uint8Array(width * height * 3);
  const comps = frame.comps;
  if (comps.length === 1) {
    const c = comps[0]!;
    for (let y = 0; y < height; y++) {
      const src = ((y / c.repY) | 0) * c.planeWidth;
      let o = y * width * 3;
      for (let x = 0; x < width; x++) {
        const v = c.plane[src + ((x / c.repX) | 0)]!;
        out[o++] = v; out[o++] = v; out[o++] = v;
      }
    }
    return { width, height, channels: 3, data: out };
  }
  const [a, b, d] = comps as [Component, Component, Component];
  const rgb = adobeTransform === 0 || (a.id === 0x52 && b.id === 0x47 && d.id === 0x42);
  const xa = new Int32Array(width);
  const xb = new Int32Array(width);
  const xd = new Int32Array(width);
  for (let x = 0; x < width; x++) {
    xa[x] = (x / a.repX) | 0;
    xb[x] = (x / b.repX) | 0;
    xd[x] = (x / d.repX) | 0;
  }
  const pa = a.plane;
  const pb = b.plane;
  const pd = d.plane;
  for (let y = 0; y < height; y++) {
    const ra = ((y / a.repY) | 0) * a.planeWidth;
    const rb = ((y / b.repY) | 0) * b.planeWidth;
    const rd = ((y / d.repY) | 0) * d.planeWidth;
    let o = y * width * 3;
    for (let x = 0; x < width; x++) {
      const Y = pa[ra + xa[x]!]!;
      const cb = pb[rb + xb[x]!]! - 128;
      const cr = pd[rd + xd[x]!]! - 128;
      if (rgb) {
        out[o++] = Y; out[o++] = cb + 128; out[o++] = cr + 128;
        continue;
      }
      let r = Y + 1.402 * cr;
      let g = Y - 0.344136 * cb - 0.714136 * cr;
      let bl = Y + 1.772 * cb;
      r = r < 0 ? 0 : r > 255 ? 255 : r;
      g = g < 0 ? 0 : g > 255 ? 255 : g;
      bl = bl < 0 ? 0 : bl > 255 ? 255 : bl;
      out[o++] = r + 0.5; out[o++] = g + 0.5; out[o++] = bl + 0.5;
    }
  }
  return { width, height, channels: 3, data: out };
}

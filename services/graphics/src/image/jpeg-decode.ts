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
  /**
   * FAST_BITS of lookahead decode a code *and* its value bits at once (libjpeg-turbo's trick):
   * (total length << 24) | (kind << 20) | (run << 16) | (value + 32768), kind 1 = a coefficient,
   * 2 = end of block (or a zero DC difference), 3 = sixteen zeros; 0 = take the slow path.
   */
  fast: Int32Array;
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
  plane: Uint8ClampedArray;
  planeWidth: number;
  pred: number;
  dc: Huffman | null;
  ac: Huffman | null;
}

const FAST_BITS = 11;

function buildHuffman(counts: Uint8Array, values: Uint8Array): Huffman {
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
      code++;
      k++;
    }
    if (code > 1 << len) throw corrupt('JPEG Huffman table is over-subscribed');
    maxcode[len] = n ? code - 1 : -1;
    code <<= 1;
  }
  maxcode[17] = 0x7fffffff;
  const fast = new Int32Array(1 << FAST_BITS);
  code = 0;
  k = 0;
  for (let len = 1; len <= 16; len++) {
    for (let i = 0; i < counts[len - 1]!; i++, code++, k++) {
      if (len > FAST_BITS) continue;
      const rs = values[k]!;
      const run = rs >> 4;
      const size = rs & 15;
      const spare = FAST_BITS - len;
      const base = code << spare;
      if (size === 0) {
        const kind = run === 0 ? 2 : run === 15 ? 3 : 0;
        if (kind) for (let j = 0; j < 1 << spare; j++) fast[base + j] = (len << 24) | (kind << 20);
      } else if (len + size <= FAST_BITS) {
        for (let j = 0; j < 1 << spare; j++) {
          const bits = j >> (spare - size);
          const value = bits < 1 << (size - 1) ? bits - (1 << size) + 1 : bits;
          fast[base + j] = ((len + size) << 24) | (1 << 20) | (run << 16) | (value + 32768);
        }
      }
    }
    code <<= 1;
  }
  return { fast, maxcode, valptr, mincode, values };
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
  /**
   * Keep subsampled chroma at its own (lower) resolution and replicate it, instead of decoding it
   * at the luma's: about half the transform work at reduced scales, for callers that shrink the
   * result by 2× or more anyway (thumbnails), where the difference averages out.
   */
  coarseChroma?: boolean;
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
          comps.push({ id: data[o]!, h, v, tq: data[o + 2]!, blocksPerLine: 0, blocksPerColumn: 0, nx: 0, ny: 0, repX: 1, repY: 1, plane: new Uint8ClampedArray(0), planeWidth: 0, pred: 0, dc: null, ac: null });
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
          c.nx = Math.min(8, options.coarseChroma ? N : wantX);
          c.ny = Math.min(8, options.coarseChroma ? N : wantY);
          if (c.nx !== 1 && c.nx !== 2 && c.nx !== 4 && c.nx !== 8) throw new ImageError('unsupported_encoding', 'JPEG sampling factors are not supported at this scale');
          if (c.ny !== 1 && c.ny !== 2 && c.ny !== 4 && c.ny !== 8) throw new ImageError('unsupported_encoding', 'JPEG sampling factors are not supported at this scale');
          c.repX = wantX / c.nx;
          c.repY = wantY / c.ny;
          c.planeWidth = c.blocksPerLine * c.nx;
          c.plane = new Uint8ClampedArray(c.planeWidth * c.blocksPerColumn * c.ny);
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

  const tmp = new Float32Array(64);
  const rows = new Int32Array(8);
  // Per component: which coefficients reach the output at its size (AREA has exact zeros, e.g.
  // every even frequency above 0 at 2×2), and the matrices.
  const useful = comps.map((c) => {
    const mx = AREA[c.nx]!;
    const my = AREA[c.ny]!;
    const m = new Uint8Array(64);
    for (let z = 0; z < 64; z++) {
      let colUsed = false;
      let rowUsed = false;
      for (let x = 0; x < c.nx; x++) if (Math.abs(mx[x * 8 + (z & 7)]!) > 1e-7) colUsed = true;
      for (let y = 0; y < c.ny; y++) if (Math.abs(my[y * 8 + (z >> 3)]!) > 1e-7) rowUsed = true;
      m[z] = colUsed && rowUsed ? 1 : 0;
    }
    return m;
  });

  /** Slow path: a code longer than the fast table, or a value too long to fit with it. */
  const slowSymbol = (t: Huffman, buf: number, cnt: number): number => {
    const code16 = (buf >>> (cnt - 16)) & 0xffff;
    for (let l = 1; l <= 16; l++) {
      const cd = code16 >>> (16 - l);
      if (cd <= t.maxcode[l]!) return (l << 8) | t.values[t.valptr[l]! + cd - t.mincode[l]!]!;
    }
    throw corrupt('JPEG entropy data has an invalid Huffman code');
  };

  const decodeBlock = (c: Component, q: Int32Array, usefulZ: Uint8Array, row: number, col: number) => {
    const nx = c.nx;
    const ny = c.ny;
    const dcOnly = nx === 1 && ny === 1;
    const mx = AREA[nx]!;
    // The entropy decoding is written inline with the bit reader in locals: the component's
    // interpreter pays for every call and every closure-variable access (docs/decisions.md).
    let buf = bitBuf;
    let cnt = bitCnt;
    let p = pos;
    let rowMask = 0;
    const dcT = c.dc!;
    const acT = c.ac!;
    // DC difference
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
    let e = dcT.fast[(buf >>> (cnt - FAST_BITS)) & 2047]!;
    let diff = 0;
    if (e) {
      cnt -= e >>> 24;
      if (((e >> 20) & 15) === 1) diff = (e & 0xffff) - 32768;
    } else {
      const ls = slowSymbol(dcT, buf, cnt);
      cnt -= ls >> 8;
      const size = ls & 255;
      if (size > 16) throw corrupt('JPEG DC difference out of range');
      if (size) {
        if (cnt < size) {
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
        diff = (buf >>> (cnt - size)) & ((1 << size) - 1);
        cnt -= size;
        if (diff < 1 << (size - 1)) diff = diff - (1 << size) + 1;
      }
    }
    c.pred += diff;
    const dc = c.pred * q[0]!;
    if (!dcOnly) {
      for (let x = 0; x < nx; x++) tmp[x] = dc * mx[x * 8]!;
      rowMask = 1;
    }
    // AC coefficients
    let k = 1;
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
      e = acT.fast[(buf >>> (cnt - FAST_BITS)) & 2047]!;
      let v: number;
      if (e) {
        cnt -= e >>> 24;
        const kind = (e >> 20) & 15;
        if (kind === 2) break;
        if (kind === 3) { k += 16; continue; }
        k += (e >> 16) & 15;
        v = (e & 0xffff) - 32768;
      } else {
        const ls = slowSymbol(acT, buf, cnt);
        cnt -= ls >> 8;
        const rs = ls & 255;
        const size = rs & 15;
        if (size === 0) {
          if (rs === 0xf0) { k += 16; continue; }
          break;
        }
        k += rs >> 4;
        if (cnt < size) {
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
        v = (buf >>> (cnt - size)) & ((1 << size) - 1);
        cnt -= size;
        if (v < 1 << (size - 1)) v = v - (1 << size) + 1;
      }
      if (k > 63) throw corrupt('JPEG block has more than 64 coefficients');
      if (!dcOnly) {
        const z = ZIGZAG[k]!;
        if (usefulZ[z]) {
          // Row pass as the coefficients arrive: tmp[r][x] += F[r][u]·AREA[x][u].
          const val = v * q[k]!;
          const r8 = z & 56;
          const u = z & 7;
          const bit = 1 << (z >> 3);
          if (!(rowMask & bit)) {
            for (let x = 0; x < nx; x++) tmp[r8 + x] = 0;
            rowMask |= bit;
          }
          for (let x = 0; x < nx; x++) tmp[r8 + x] = tmp[r8 + x]! + val * mx[x * 8 + u]!;
        }
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
      const v = Math.round(dc / 8 + 128);
      plane[out] = v < 0 ? 0 : v > 255 ? 255 : v;
      return;
    }
    // Column pass over the rows that got anything.
    let nRows = 0;
    for (let r = 0; r < 8; r++) if (rowMask & (1 << r)) rows[nRows++] = r;
    const my = AREA[ny]!;
    for (let y = 0; y < ny; y++) {
      const tb = y * 8;
      for (let x = 0; x < nx; x++) {
        let sum = 128;
        for (let i = 0; i < nRows; i++) {
          const r = rows[i]!;
          sum += tmp[r * 8 + x]! * my[tb + r]!;
        }
        plane[out + x] = sum; // a Uint8ClampedArray rounds and clamps
      }
      out += pw;
    }
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
        decodeBlock(c, q, useful[0]!, row, col);
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
          const u = useful[i]!;
          for (let v = 0; v < c.v; v++) for (let h = 0; h < c.h; h++) decodeBlock(c, q, u, my * c.v + v, mx * c.h + h);
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
  const clamped = new Uint8ClampedArray(out.buffer);
  const pa = a.plane;
  const pb = b.plane;
  const pd = d.plane;
  if (!rgb && a.repX === 1 && a.repY === 1 && b.repX === 1 && b.repY === 1 && d.repX === 1 && d.repY === 1 && a.planeWidth === b.planeWidth && a.planeWidth === d.planeWidth) {
    // Every plane already at the output's size (reduced-scale decodes): one index for all three.
    const pw = a.planeWidth;
    for (let y = 0; y < height; y++) {
      let s = y * pw;
      let o = y * width * 3;
      for (let x = 0; x < width; x++, s++) {
        const Y = pa[s]!;
        const cb = pb[s]! - 128;
        const cr = pd[s]! - 128;
        clamped[o++] = Y + 1.402 * cr;
        clamped[o++] = Y - 0.344136 * cb - 0.714136 * cr;
        clamped[o++] = Y + 1.772 * cb;
      }
    }
    return { width, height, channels: 3, data: out };
  }
  const xa = new Int32Array(width);
  const xb = new Int32Array(width);
  const xd = new Int32Array(width);
  for (let x = 0; x < width; x++) {
    xa[x] = (x / a.repX) | 0;
    xb[x] = (x / b.repX) | 0;
    xd[x] = (x / d.repX) | 0;
  }
  for (let y = 0; y < height; y++) {
    const ra = ((y / a.repY) | 0) * a.planeWidth;
    const rb = ((y / b.repY) | 0) * b.planeWidth;
    const rd = ((y / d.repY) | 0) * d.planeWidth;
    let o = y * width * 3;
    for (let x = 0; x < width; x++) {
      const Y = pa[ra + xa[x]!]!;
      const c1 = pb[rb + xb[x]!]!;
      const c2 = pd[rd + xd[x]!]!;
      if (rgb) {
        out[o++] = Y; out[o++] = c1; out[o++] = c2;
        continue;
      }
      const cb = c1 - 128;
      const cr = c2 - 128;
      clamped[o++] = Y + 1.402 * cr;
      clamped[o++] = Y - 0.344136 * cb - 0.714136 * cr;
      clamped[o++] = Y + 1.772 * cb;
    }
  }
  return { width, height, channels: 3, data: out };
}

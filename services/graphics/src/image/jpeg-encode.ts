import type { Raster } from './raster.ts';

/**
 * A baseline JPEG encoder (4:2:0, the standard Huffman tables, IJG quality scaling, the AAN float
 * forward DCT), writing straight into a typed array. It replaced jpeg-js's encoder, which built an
 * array of numbers byte by byte without subsampling: 1024×768 took 0.9 s in Node and most of a
 * 1024 px resize in the engine (docs/decisions.md, Decision 7). The tables are the JPEG standard's
 * (ITU T.81 Annex K), as every encoder (and jpeg-js) carries them. Alpha is composited over white.
 */

/** Annex K.1 quantisation tables, natural order. */
const LUMA_QT = [16, 11, 10, 16, 24, 40, 51, 61, 12, 12, 14, 19, 26, 58, 60, 55, 14, 13, 16, 24, 40, 57, 69, 56, 14, 17, 22, 29, 51, 87, 80, 62, 18, 22, 37, 56, 68, 109, 103, 77, 24, 35, 55, 64, 81, 104, 113, 92, 49, 64, 78, 87, 103, 121, 120, 101, 72, 92, 95, 98, 112, 100, 103, 99];
const CHROMA_QT = [17, 18, 24, 47, 99, 99, 99, 99, 18, 21, 26, 66, 99, 99, 99, 99, 24, 26, 56, 99, 99, 99, 99, 99, 47, 66, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99];

/** Annex K.3 Huffman tables: counts of codes of each length 1–16, then the symbols. */
const DC_LUMA = { counts: [0, 1, 5, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0], symbols: [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11] };
const DC_CHROMA = { counts: [0, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0], symbols: [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11] };
const AC_LUMA = { counts: [0, 2, 1, 3, 3, 2, 4, 3, 5, 5, 4, 4, 0, 0, 1, 0x7d], symbols: [1, 2, 3, 0, 4, 17, 5, 18, 33, 49, 65, 6, 19, 81, 97, 7, 34, 113, 20, 50, 129, 145, 161, 8, 35, 66, 177, 193, 21, 82, 209, 240, 36, 51, 98, 114, 130, 9, 10, 22, 23, 24, 25, 26, 37, 38, 39, 40, 41, 42, 52, 53, 54, 55, 56, 57, 58, 67, 68, 69, 70, 71, 72, 73, 74, 83, 84, 85, 86, 87, 88, 89, 90, 99, 100, 101, 102, 103, 104, 105, 106, 115, 116, 117, 118, 119, 120, 121, 122, 131, 132, 133, 134, 135, 136, 137, 138, 146, 147, 148, 149, 150, 151, 152, 153, 154, 162, 163, 164, 165, 166, 167, 168, 169, 170, 178, 179, 180, 181, 182, 183, 184, 185, 186, 194, 195, 196, 197, 198, 199, 200, 201, 202, 210, 211, 212, 213, 214, 215, 216, 217, 218, 225, 226, 227, 228, 229, 230, 231, 232, 233, 234, 241, 242, 243, 244, 245, 246, 247, 248, 249, 250] };
const AC_CHROMA = { counts: [0, 2, 1, 2, 4, 4, 3, 4, 7, 5, 4, 4, 0, 1, 2, 0x77], symbols: [0, 1, 2, 3, 17, 4, 5, 33, 49, 6, 18, 65, 81, 7, 97, 113, 19, 34, 50, 129, 8, 20, 66, 145, 161, 177, 193, 9, 35, 51, 82, 240, 21, 98, 114, 209, 10, 22, 36, 52, 225, 37, 241, 23, 24, 25, 26, 38, 39, 40, 41, 42, 53, 54, 55, 56, 57, 58, 67, 68, 69, 70, 71, 72, 73, 74, 83, 84, 85, 86, 87, 88, 89, 90, 99, 100, 101, 102, 103, 104, 105, 106, 115, 116, 117, 118, 119, 120, 121, 122, 130, 131, 132, 133, 134, 135, 136, 137, 138, 146, 147, 148, 149, 150, 151, 152, 153, 154, 162, 163, 164, 165, 166, 167, 168, 169, 170, 178, 179, 180, 181, 182, 183, 184, 185, 186, 194, 195, 196, 197, 198, 199, 200, 201, 202, 210, 211, 212, 213, 214, 215, 216, 217, 218, 226, 227, 228, 229, 230, 231, 232, 233, 234, 242, 243, 244, 245, 246, 247, 248, 249, 250] };

const ZIGZAG = [
  0, 1, 8, 16, 9, 2, 3, 10, 17, 24, 32, 25, 18, 11, 4, 5, 12, 19, 26, 33, 40, 48, 41, 34, 27, 20, 13, 6, 7, 14, 21, 28,
  35, 42, 49, 56, 57, 50, 43, 36, 29, 22, 15, 23, 30, 37, 44, 51, 58, 59, 52, 45, 38, 31, 39, 46, 53, 60, 61, 54, 47, 55, 62, 63,
];
const AAN = [1.0, 1.387039845, 1.306562965, 1.175875602, 1.0, 0.785694958, 0.5411961, 0.275899379];

/** code and length per symbol */
function huffmanCodes(table: { counts: number[]; symbols: number[] }): { code: Int32Array; size: Int32Array } {
  const code = new Int32Array(256);
  const size = new Int32Array(256);
  let c = 0;
  let k = 0;
  for (let len = 1; len <= 16; len++) {
    for (let i = 0; i < table.counts[len - 1]!; i++) {
      code[table.symbols[k]!] = c++;
      size[table.symbols[k]!] = len;
      k++;
    }
    c <<= 1;
  }
  return { code, size };
}

function scaledTable(base: number[], quality: number): Int32Array {
  const q = Math.min(100, Math.max(1, Math.round(quality)));
  const factor = q < 50 ? 5000 / q : 200 - 2 * q;
  return Int32Array.from(base, (v) => Math.min(255, Math.max(1, Math.floor((v * factor + 50) / 100))));
}

export function encodeJpeg(image: Raster, quality: number): Uint8Array {
  const { width, height, channels, data } = image;
  const qtY = scaledTable(LUMA_QT, quality);
  const qtC = scaledTable(CHROMA_QT, quality);
  // 1 / (quantiser · AAN row · AAN column · 8), natural order: the FDCT output times it is the quantised value.
  const divY = new Float32Array(64);
  const divC = new Float32Array(64);
  for (let i = 0; i < 64; i++) {
    const s = AAN[i >> 3]! * AAN[i & 7]! * 8;
    divY[i] = 1 / (qtY[i]! * s);
    divC[i] = 1 / (qtC[i]! * s);
  }
  const dcY = huffmanCodes(DC_LUMA);
  const acY = huffmanCodes(AC_LUMA);
  const dcC = huffmanCodes(DC_CHROMA);
  const acC = huffmanCodes(AC_CHROMA);

  let out = new Uint8Array(Math.max(4096, width * height));
  let n = 0;
  const ensure = (extra: number) => {
    if (n + extra <= out.length) return;
    const bigger = new Uint8Array(Math.max(out.length * 2, n + extra));
    bigger.set(out.subarray(0, n));
    out = bigger;
  };
  const byte = (b: number) => { ensure(1); out[n++] = b; };
  const word = (w: number) => { byte(w >> 8); byte(w & 255); };

  // Headers: SOI, JFIF, DQT, SOF0, DHT, SOS.
  word(0xffd8);
  word(0xffe0); word(16); for (const b of [0x4a, 0x46, 0x49, 0x46, 0, 1, 1, 0, 0, 1, 0, 1, 0, 0]) byte(b);
  word(0xffdb); word(132);
  byte(0); for (let i = 0; i < 64; i++) byte(qtY[ZIGZAG[i]!]!);
  byte(1); for (let i = 0; i < 64; i++) byte(qtC[ZIGZAG[i]!]!);
  word(0xffc0); word(17); byte(8); word(height); word(width); byte(3);
  byte(1); byte(0x22); byte(0);
  byte(2); byte(0x11); byte(1);
  byte(3); byte(0x11); byte(1);
  word(0xffc4); word(2 + 4 * 17 + 12 + 12 + 162 + 162);
  for (const [id, t] of [[0x00, DC_LUMA], [0x10, AC_LUMA], [0x01, DC_CHROMA], [0x11, AC_CHROMA]] as const) {
    byte(id);
    for (const c of t.counts) byte(c);
    for (const s of t.symbols) byte(s);
  }
  word(0xffda); word(12); byte(3); byte(1); byte(0x00); byte(2); byte(0x11); byte(3); byte(0x11); byte(0); byte(63); byte(0);

  // Entropy-coded data.
  let bitBuf = 0;
  let bitCnt = 0;
  const bits = (code: number, size: number) => {
    bitBuf = (bitBuf << size) | code;
    bitCnt += size;
    while (bitCnt >= 8) {
      const b = (bitBuf >> (bitCnt - 8)) & 255;
      ensure(2);
      out[n++] = b;
      if (b === 0xff) out[n++] = 0;
      bitCnt -= 8;
    }
    bitBuf &= (1 << bitCnt) - 1;
  };

  const block = new Float32Array(64);
  const quant = new Int32Array(64);
  const encodeBlock = (div: Float32Array, dc: { code: Int32Array; size: Int32Array }, ac: { code: Int32Array; size: Int32Array }, pred: number): number => {
    // AAN forward DCT, rows then columns (IJG jfdctflt.c).
    for (let pass = 0; pass < 2; pass++) {
      const step = pass === 0 ? 1 : 8;
      const stride = pass === 0 ? 8 : 1;
      for (let line = 0; line < 8; line++) {
        const o = line * stride;
        const d0 = block[o]!, d1 = block[o + step]!, d2 = block[o + 2 * step]!, d3 = block[o + 3 * step]!;
        const d4 = block[o + 4 * step]!, d5 = block[o + 5 * step]!, d6 = block[o + 6 * step]!, d7 = block[o + 7 * step]!;
        const t0 = d0 + d7, t7 = d0 - d7, t1 = d1 + d6, t6 = d1 - d6, t2 = d2 + d5, t5 = d2 - d5, t3 = d3 + d4, t4 = d3 - d4;
        let t10 = t0 + t3;
        const t13 = t0 - t3;
        let t11 = t1 + t2;
        let t12 = t1 - t2;
        block[o] = t10 + t11;
        block[o + 4 * step] = t10 - t11;
        const z1 = (t12 + t13) * 0.707106781;
        block[o + 2 * step] = t13 + z1;
        block[o + 6 * step] = t13 - z1;
        t10 = t4 + t5;
        t11 = t5 + t6;
        t12 = t6 + t7;
        const z5 = (t10 - t12) * 0.382683433;
        const z2 = 0.5411961 * t10 + z5;
        const z4 = 1.306562965 * t12 + z5;
        const z3 = t11 * 0.707106781;
        const z11 = t7 + z3;
        const z13 = t7 - z3;
        block[o + 5 * step] = z13 + z2;
        block[o + 3 * step] = z13 - z2;
        block[o + step] = z11 + z4;
        block[o + 7 * step] = z11 - z4;
      }
    }
    for (let i = 0; i < 64; i++) {
      const z = ZIGZAG[i]!;
      quant[i] = Math.round(block[z]! * div[z]!);
    }
    // DC difference
    const diff = quant[0]! - pred;
    const a = diff < 0 ? -diff : diff;
    let cat = 0;
    while (a >> cat) cat++;
    bits(dc.code[cat]!, dc.size[cat]!);
    if (cat) bits(diff < 0 ? diff + (1 << cat) - 1 : diff, cat);
    // AC run lengths
    let run = 0;
    for (let i = 1; i < 64; i++) {
      const v = quant[i]!;
      if (v === 0) { run++; continue; }
      while (run >= 16) { bits(ac.code[0xf0]!, ac.size[0xf0]!); run -= 16; }
      const av = v < 0 ? -v : v;
      let size = 0;
      while (av >> size) size++;
      const sym = (run << 4) | size;
      bits(ac.code[sym]!, ac.size[sym]!);
      bits(v < 0 ? v + (1 << size) - 1 : v, size);
      run = 0;
    }
    if (run > 0) bits(ac.code[0]!, ac.size[0]!);
    return quant[0]!;
  };

  // Colour planes (Y full, Cb/Cr averaged over 2×2) for one 16×16 MCU at a time, edges replicated.
  const Y = new Float32Array(256);
  const Cb = new Float32Array(64);
  const Cr = new Float32Array(64);
  let predY = 0, predCb = 0, predCr = 0;
  for (let my = 0; my < height; my += 16) {
    for (let mx = 0; mx < width; mx += 16) {
      Cb.fill(0);
      Cr.fill(0);
      for (let y = 0; y < 16; y++) {
        const sy = Math.min(height - 1, my + y);
        for (let x = 0; x < 16; x++) {
          const sx = Math.min(width - 1, mx + x);
          const p = (sy * width + sx) * channels;
          let r = data[p]!, g = data[p + 1]!, b = data[p + 2]!;
          if (channels === 4) {
            const alpha = data[p + 3]! / 255;
            r = r * alpha + 255 * (1 - alpha);
            g = g * alpha + 255 * (1 - alpha);
            b = b * alpha + 255 * (1 - alpha);
          }
          Y[y * 16 + x] = 0.299 * r + 0.587 * g + 0.114 * b - 128;
          const c = (y >> 1) * 8 + (x >> 1);
          Cb[c] = Cb[c]! + (-0.168736 * r - 0.331264 * g + 0.5 * b) * 0.25;
          Cr[c] = Cr[c]! + (0.5 * r - 0.418688 * g - 0.081312 * b) * 0.25;
        }
      }
      for (const [bx, by] of [[0, 0], [8, 0], [0, 8], [8, 8]] as const) {
        for (let y = 0; y < 8; y++) for (let x = 0; x < 8; x++) block[y * 8 + x] = Y[(by + y) * 16 + bx + x]!;
        predY = encodeBlock(divY, dcY, acY, predY);
      }
      block.set(Cb);
      predCb = encodeBlock(divC, dcC, acC, predCb);
      block.set(Cr);
      predCr = encodeBlock(divC, dcC, acC, predCr);
    }
  }
  if (bitCnt > 0) bits((1 << (8 - bitCnt)) - 1, 8 - bitCnt); // pad with ones
  word(0xffd9);
  return out.slice(0, n);
}

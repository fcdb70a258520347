// Anti-aliased glyph rasterizer: exact area coverage by signed-area accumulation (the algorithm
// of font-rs and stb_truetype 2): each line segment adds its signed area to the cells it crosses
// and the cell to their right, and one running sum along each row gives every pixel's coverage.
// No per-pixel work outside the box being drawn, no sorting, no edge lists: the interpreter in the
// engine has no JIT, so the inner loops are few and flat. Curves are flattened to lines first.
import type { PathCommand } from './text-font.ts';

export interface CoverageBox {
  /** Canvas position of the box's top-left pixel. */
  x: number;
  y: number;
  width: number;
  height: number;
  /** Row stride (width + 2: a segment at the right edge writes one cell past it). */
  stride: number;
  acc: Float32Array;
}

export function coverageBox(x: number, y: number, width: number, height: number): CoverageBox {
  const stride = width + 2;
  return { x, y, width, height, stride, acc: new Float32Array(stride * height + 2) };
}

function addLine(box: CoverageBox, ax: number, ay: number, bx: number, by: number): void {
  if (ay === by) return;
  const { acc, stride, height } = box;
  const maxX = box.width;
  let dir = 1;
  let x0 = ax, y0 = ay, x1 = bx, y1 = by;
  if (ay > by) {
    dir = -1;
    x0 = bx; y0 = by; x1 = ax; y1 = ay;
  }
  if (y1 <= 0 || y0 >= height) return;
  const dxdy = (x1 - x0) / (y1 - y0);
  let x = x0;
  if (y0 < 0) {
    x -= y0 * dxdy;
    y0 = 0;
  }
  const yEnd = Math.min(height, Math.ceil(y1));
  for (let y = Math.floor(y0); y < yEnd; y++) {
    const row = y * stride;
    const dy = Math.min(y + 1, y1) - Math.max(y, y0);
    let xNext = x + dxdy * dy;
    // Outlines stay inside their box (it is sized from their bounds); clamping only guards
    // against rounding at the edges.
    if (xNext < 0) xNext = 0;
    else if (xNext > maxX) xNext = maxX;
    const d = dy * dir;
    const xa = x < xNext ? x : xNext;
    const xb = x < xNext ? xNext : x;
    const xaFloor = Math.floor(xa);
    const xai = xaFloor;
    const xbCeil = Math.ceil(xb);
    const xbi = xbCeil;
    if (xbi <= xai + 1) {
      const xmf = 0.5 * (x + xNext) - xaFloor;
      acc[row + xai] = acc[row + xai]! + d - d * xmf;
      acc[row + xai + 1] = acc[row + xai + 1]! + d * xmf;
    } else {
      const s = 1 / (xb - xa);
      const xaf = xa - xaFloor;
      const a0 = 0.5 * s * (1 - xaf) * (1 - xaf);
      const xbf = xb - xbCeil + 1;
      const am = 0.5 * s * xbf * xbf;
      acc[row + xai] = acc[row + xai]! + d * a0;
      if (xbi === xai + 2) {
        acc[row + xai + 1] = acc[row + xai + 1]! + d * (1 - a0 - am);
      } else {
        const a1 = s * (1.5 - xaf);
        acc[row + xai + 1] = acc[row + xai + 1]! + d * (a1 - a0);
        const ds = d * s;
        for (let xi = xai + 2; xi < xbi - 1; xi++) acc[row + xi] = acc[row + xi]! + ds;
        const a2 = a1 + (xbi - xai - 3) * s;
        acc[row + xbi - 1] = acc[row + xbi - 1]! + d * (1 - a2 - am);
      }
      acc[row + xbi] = acc[row + xbi]! + d * am;
    }
    x = xNext;
  }
}

/** Adds an outline (canvas coordinates, y down) to the box: curves flattened by their flatness. */
export function addOutline(box: CoverageBox, commands: PathCommand[]): void {
  const ox = box.x;
  const oy = box.y;
  let sx = 0, sy = 0, px = 0, py = 0;
  for (const c of commands) {
    if (c.type === 'M') {
      if (px !== sx || py !== sy) addLine(box, px, py, sx, sy);
      sx = px = c.x - ox;
      sy = py = c.y - oy;
    } else if (c.type === 'L') {
      const x = c.x - ox, y = c.y - oy;
      addLine(box, px, py, x, y);
      px = x; py = y;
    } else if (c.type === 'Q') {
      const cx = c.x1 - ox, cy = c.y1 - oy, x = c.x - ox, y = c.y - oy;
      const ddx = px - 2 * cx + x, ddy = py - 2 * cy + y;
      const n = 1 + Math.floor(Math.sqrt(Math.sqrt(3 * (ddx * ddx + ddy * ddy))));
      let lx = px, ly = py;
      for (let i = 1; i <= n; i++) {
        const t = i / n, u = 1 - t;
        const nx = u * u * px + 2 * u * t * cx + t * t * x;
        const ny = u * u * py + 2 * u * t * cy + t * t * y;
        addLine(box, lx, ly, nx, ny);
        lx = nx; ly = ny;
      }
      px = x; py = y;
    } else if (c.type === 'C') {
      const c1x = c.x1 - ox, c1y = c.y1 - oy, c2x = c.x2 - ox, c2y = c.y2 - oy, x = c.x - ox, y = c.y - oy;
      const d1x = px - 2 * c1x + c2x, d1y = py - 2 * c1y + c2y;
      const d2x = c1x - 2 * c2x + x, d2y = c1y - 2 * c2y + y;
      const dev = Math.max(d1x * d1x + d1y * d1y, d2x * d2x + d2y * d2y);
      const n = 1 + Math.floor(Math.sqrt(Math.sqrt(6 * dev)));
      let lx = px, ly = py;
      for (let i = 1; i <= n; i++) {
        const t = i / n, u = 1 - t;
        const a = u * u * u, b = 3 * u * u * t, cc = 3 * u * t * t, e = t * t * t;
        const nx = a * px + b * c1x + cc * c2x + e * x;
        const ny = a * py + b * c1y + cc * c2y + e * y;
        addLine(box, lx, ly, nx, ny);
        lx = nx; ly = ny;
      }
      px = x; py = y;
    } else {
      addLine(box, px, py, sx, sy);
      px = sx; py = sy;
    }
  }
  if (px !== sx || py !== sy) addLine(box, px, py, sx, sy);
}

/** Bounds of outlines (their points and control points, which contain the curves). */
export function outlineBounds(outlines: PathCommand[][]): { x0: number; y0: number; x1: number; y1: number } | null {
  let x0 = Infinity, y0 = Infinity, x1 = -Infinity, y1 = -Infinity;
  const see = (x: number, y: number) => {
    if (x < x0) x0 = x;
    if (x > x1) x1 = x;
    if (y < y0) y0 = y;
    if (y > y1) y1 = y;
  };
  for (const commands of outlines) {
    for (const c of commands) {
      if (c.type === 'Z') continue;
      see(c.x, c.y);
      if (c.type === 'Q' || c.type === 'C') see(c.x1, c.y1);
      if (c.type === 'C') see(c.x2, c.y2);
    }
  }
  return x0 === Infinity ? null : { x0, y0, x1, y1 };
}

/**
 * Blends `color` into an RGB canvas by the box's coverage (the running sum of each row, its
 * magnitude capped at 1: nonzero filling for the overlapping contours of variable-font outlines).
 */
export function compositeCoverage(canvas: { width: number; height: number; data: Uint8Array }, box: CoverageBox, color: readonly [number, number, number]): void {
  const [r, g, b] = color;
  const { acc, stride } = box;
  const cw = canvas.width;
  const data = canvas.data;
  for (let j = 0; j < box.height; j++) {
    const cy = box.y + j;
    if (cy < 0 || cy >= canvas.height) continue;
    let sum = 0;
    const row = j * stride;
    for (let i = 0; i < box.width; i++) {
      sum += acc[row + i]!;
      if (sum > -0.002 && sum < 0.002) continue;
      const cx = box.x + i;
      if (cx < 0 || cx >= cw) continue;
      const a = sum < 0 ? (sum < -1 ? 1 : -sum) : sum > 1 ? 1 : sum;
      const p = (cy * cw + cx) * 3;
      data[p] = data[p]! + (r - data[p]!) * a + 0.5;
      data[p + 1] = data[p + 1]! + (g - data[p + 1]!) * a + 0.5;
      data[p + 2] = data[p + 2]! + (b - data[p + 2]!) * a + 0.5;
    }
  }
}

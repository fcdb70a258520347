// The graphics image core inside a component (compiled by componentize-js, on spin-local) against
// the same code in Node, in the same run: probe, a 12 MP JPEG → 512/256/128 thumbnails (and 512
// alone), a 1024 px JPEG resize of it, a PNG thumbnail, and a 1600×2560 typographic cover (fonts
// parsed, rendered, PNG-encoded; the component parses its embedded fonts on every request, as a
// fresh instance of the worker does). Medians over rounds of the time the
// engine itself measured (wall) and of this process' CPU time over the request (the runtime runs
// the component in this process; on a shared, loaded machine CPU is the steadier figure); the
// ratio to Node is the figure. The 12 MP photo-like JPEG is made by ImageMagick (plasma + noise,
// quality 90, 4:2:0):
//   npx --yes pnpm@10.34.8 --filter @authorworks/bench-graphics bench [rounds] [op…]
// Build first: `cd bench/graphics && npx --yes pnpm@10.34.8 exec authorworks-build`.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { startApp } from '@authorworks/spin-local';
import { probeImage } from '../../services/graphics/src/image/probe.ts';
import { decodeToRaster, renderImages } from '../../services/graphics/src/image/transform.ts';
import { nodeCoverFonts } from '../../services/graphics/src/cover/fonts.test-support.ts';
import { PALETTES } from '../../services/graphics/src/cover/palettes.ts';
import { renderCover } from '../../services/graphics/src/cover/render.ts';
import { encodePng } from '../../services/graphics/src/image/png-encode.ts';
import { BENCH_COVER, BENCH_COVER_BACKGROUND, BENCH_SPECS } from './src/bench-specs.ts';

const rounds = Number(process.argv[2] ?? 3);
/** Only these operations when named (`cover`, `thumbnail512`, …); all by default. */
const only = process.argv.slice(3);
if (!existsSync('/usr/bin/convert')) {
  console.error('ImageMagick (/usr/bin/convert) makes the 12 MP test photo: apt-get install -y imagemagick');
  process.exit(1);
}
const convert = (args: string[]) => new Uint8Array(execFileSync('/usr/bin/convert', args, { maxBuffer: 256 * 1024 * 1024 }));
const photo12 = convert(['-size', '4000x3000', '-seed', '7', 'plasma:fractal', '-attenuate', '0.25', '+noise', 'Gaussian', '-sampling-factor', '4:2:0', '-quality', '90', 'jpeg:-']);
const photoJpeg = new Uint8Array(readFileSync(fileURLToPath(new URL('../../services/graphics/fixtures/photo.jpg', import.meta.url))));
const png = convert([fileURLToPath(new URL('../../services/graphics/fixtures/photo.jpg', import.meta.url)), '-resize', '200%', 'PNG24:-']);
console.log(`inputs: 12 MP JPEG ${(photo12.length / 1024 / 1024).toFixed(1)} MiB; PNG 1440×954 ${(png.length / 1024).toFixed(0)} KiB`);

const app = await startApp({ manifest: fileURLToPath(new URL('spin.toml', import.meta.url)), env: {} });
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

const cpuMs = (since: NodeJS.CpuUsage) => {
  const used = process.cpuUsage(since);
  return (used.user + used.system) / 1000;
};

async function inComponent(op: string, body: Uint8Array): Promise<{ wall: number; cpu: number }> {
  const cpu = process.cpuUsage();
  const response = await app.fetch(`/bench/graphics?op=${op}`, { method: 'POST', body: body as Uint8Array<ArrayBuffer> });
  const answer = (await response.json()) as { ms: number; error?: string; stages?: Record<string, number> };
  if (!response.ok) throw new Error(`${op}: ${answer.error}`);
  if (op.startsWith('cover')) console.log(`  cover stages in the component (ms): ${JSON.stringify(answer.stages)}`);
  return { wall: answer.ms, cpu: cpuMs(cpu) };
}

async function inNode(op: string, body: Uint8Array): Promise<{ wall: number; cpu: number }> {
  const cpu = process.cpuUsage();
  const started = performance.now();
  if (op === 'probe') probeImage(body.subarray(0, 64 * 1024), { partial: true });
  else if (op === 'cover' || op === 'coverPhoto') {
    const background = op === 'coverPhoto' ? await decodeToRaster(body, BENCH_COVER_BACKGROUND, 2) : undefined;
    const cover = renderCover(await nodeCoverFonts(), BENCH_COVER.text, { palette: PALETTES[BENCH_COVER.palette], ...(background ? { background } : {}) });
    await encodePng(cover.raster, { filter: 'none' });
  }
  else await renderImages(body, BENCH_SPECS[op]!);
  return { wall: performance.now() - started, cpu: cpuMs(cpu) };
}

const cases: [string, string, Uint8Array][] = [
  ['probe (64 KiB head)', 'probe', photo12],
  ['12 MP → 512 px', 'thumbnail512', photo12],
  ['12 MP → 512+256+128', 'thumbnail', photo12],
  ['12 MP → 1024 px JPEG', 'resize', photo12],
  ['PNG 1440×954 → 512+256+128', 'thumbnail', png],
  ['cover 1600×2560 PNG', 'cover', new Uint8Array(0)],
  ['cover over a 720×477 JPEG', 'coverPhoto', photoJpeg],
];
try {
  await inComponent('probe', photo12); // the first request compiles the component: not measured
  const ms = (x: number) => x.toFixed(0).padStart(6);
  for (const [label, op, body] of cases.filter(([, op]) => only.length === 0 || only.includes(op))) {
    const component: { wall: number; cpu: number }[] = [];
    const node: { wall: number; cpu: number }[] = [];
    for (let i = 0; i < rounds; i++) {
      component.push(await inComponent(op, body));
      node.push(await inNode(op, body));
    }
    const [cw, cc] = [median(component.map((x) => x.wall)), median(component.map((x) => x.cpu))];
    const [nw, nc] = [median(node.map((x) => x.wall)), median(node.map((x) => x.cpu))];
    console.log(
      `${label.padEnd(28)} component p50 wall ${ms(cw)} ms cpu ${ms(cc)} ms   node p50 wall ${ms(nw)} ms cpu ${ms(nc)} ms   ratio (cpu) ${(cc / Math.max(nc, 0.01)).toFixed(1)}×`,
    );
  }
  console.log(`load average ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
} finally {
  await app.close();
}

// POST /bench/graphics?op=probe|thumbnail|resize with an image as the body: runs the graphics
// service's image core on it inside the component and answers how long that took (ms, measured
// in the engine, body reading excluded). op=cover renders the bench cover (no body) as the
// worker does: fonts parsed, cover rendered, PNG encoded; op=coverPhoto the same over the body
// (an image) decoded and cropped to fill the cover.
import { serveHttp } from '@authorworks/kit/spin';
import { decodeJpeg } from '../../../services/graphics/src/image/jpeg-decode.ts';
import { probeImage } from '../../../services/graphics/src/image/probe.ts';
import { decodeToRaster, renderImages } from '../../../services/graphics/src/image/transform.ts';
import { embeddedCoverFonts } from '../../../services/graphics/src/cover/fonts.ts';
import { PALETTES } from '../../../services/graphics/src/cover/palettes.ts';
import { renderCover } from '../../../services/graphics/src/cover/render.ts';
import { encodePng } from '../../../services/graphics/src/image/png-encode.ts';
import { BENCH_COVER, BENCH_COVER_BACKGROUND, BENCH_SPECS } from './bench-specs.ts';

const reply = (data: unknown, init: { status?: number } = {}) =>
  new Response(JSON.stringify(data), { status: init.status ?? 200, headers: { 'content-type': 'application/json' } });

serveHttp(async (request: Request) => {
  const op = new URL(request.url).searchParams.get('op') ?? '';
  const bytes = new Uint8Array(await request.arrayBuffer());
  const started = Date.now();
  try {
    if (op === 'probe') {
      const info = probeImage(bytes.subarray(0, 64 * 1024), { partial: true });
      return reply({ ms: Date.now() - started, info });
    }
    if (op === 'cover' || op === 'coverPhoto') {
      const background = op === 'coverPhoto' ? await decodeToRaster(bytes, BENCH_COVER_BACKGROUND, 2) : undefined;
      const imageMs = Date.now() - started;
      const fonts = await embeddedCoverFonts();
      const fontsMs = Date.now() - started - imageMs;
      const cover = renderCover(fonts, BENCH_COVER.text, { palette: PALETTES[BENCH_COVER.palette], ...(background ? { background } : {}) });
      const encodeStarted = Date.now();
      const png = await encodePng(cover.raster, { filter: 'none' });
      return reply({ ms: Date.now() - started, stages: { image: imageMs, fonts: fontsMs, ...cover.timings, encode: Date.now() - encodeStarted }, bytes: png.length });
    }
    const scale = /^decode([1248])$/.exec(op);
    if (scale) {
      const raster = decodeJpeg(bytes, { scale: Number(scale[1]) as 1 | 2 | 4 | 8 });
      return reply({ ms: Date.now() - started, width: raster.width, height: raster.height });
    }
    const specs = BENCH_SPECS[op];
    if (!specs) return reply({ error: 'op is probe, thumbnail, thumbnail512 or resize' }, { status: 400 });
    const stages: Record<string, number> = {};
    const out = await renderImages(bytes, specs, async (stage, done) => {
      stages[`${stage}${done}`] = Date.now() - started;
    });
    return reply({ ms: Date.now() - started, stages, decodeScale: out.decodeScale, outputs: out.outputs.map((o) => ({ width: o.width, height: o.height, bytes: o.bytes.length })) });
  } catch (error) {
    return reply({ ms: Date.now() - started, error: String(error) }, { status: 422 });
  }
});

// The worker's job handlers: probe, thumbnail, resize, cover. Inputs are read from storage and results
// written to it as the job's owner (ctx.callServiceAs). An image the core refuses fails the job
// with the core's code (`corrupt_image`, `image_too_large`, ...); results already written when a
// later step fails or the job is cancelled are deleted, so nothing half-done stays in storage.
import { job, type JobContext } from '@authorworks/kit';
import { ImageError } from './image/errors.ts';
import { probeImage, type ImageInfo } from './image/probe.ts';
import { decodeToRaster, DEFAULT_MAX_PIXELS, renderImages, type TransformSpec } from './image/transform.ts';
import { CoverPayload, IMAGE_TYPES, ProbePayload, ResizePayload, ThumbnailPayload } from './payloads.ts';
import { contentBase, readBook, setBookCover } from './content-books.ts';
import { embeddedCoverFonts } from './cover/fonts.ts';
import { paletteForGenre, PALETTES } from './cover/palettes.ts';
import { COVER_HEIGHT, COVER_WIDTH, MAX_TITLE_LENGTH, renderCover } from './cover/render.ts';
import type { Raster } from './image/raster.ts';
import { encodePng } from './image/png-encode.ts';
import { deleteFile, JobInputError, readAll, readHead, storageBase, uploadFile, type CallAs, type ResultFile } from './storage-files.ts';
import { recordDerivedFiles } from './derived-files.ts';

/** How much of a file a probe reads at most, in growing ranged reads. */
const PROBE_READS = [64 * 1024, 512 * 1024, 2 * 1024 * 1024];

function settings(ctx: JobContext) {
  const maxPixels = Number(ctx.config.optional('max_pixels', String(DEFAULT_MAX_PIXELS)));
  const maxInputBytes = Number(ctx.config.optional('max_input_bytes', String(64 * 1024 * 1024)));
  return {
    maxPixels: Number.isSafeInteger(maxPixels) && maxPixels > 0 ? maxPixels : DEFAULT_MAX_PIXELS,
    maxInputBytes: Number.isSafeInteger(maxInputBytes) && maxInputBytes > 0 ? maxInputBytes : 64 * 1024 * 1024,
  };
}

const callAs = (ctx: JobContext): CallAs => (url, init) => ctx.callServiceAs(url, init);

function describe(info: ImageInfo) {
  return {
    format: info.format, width: info.width, height: info.height, displayWidth: info.displayWidth, displayHeight: info.displayHeight,
    bitDepth: info.bitDepth, colorType: info.colorType, channels: info.channels, hasAlpha: info.hasAlpha, interlaced: info.interlaced,
    orientation: info.orientation, ...(info.encoding ? { encoding: info.encoding, arithmetic: info.arithmetic } : {}),
  };
}

/** The error a job records: the code first, so clients can match on it. */
function jobError(error: unknown): Error {
  if (error instanceof ImageError || error instanceof JobInputError) return error;
  return error instanceof Error ? error : new Error(String(error));
}

function stem(filename: string): string {
  const base = filename.replace(/\.[A-Za-z0-9]{1,5}$/, '');
  return base.slice(0, 180) || 'image';
}

async function readImage(ctx: JobContext, fileId: string) {
  const { maxInputBytes } = settings(ctx);
  const { record, bytes } = await readAll(callAs(ctx), storageBase(ctx.config), fileId, maxInputBytes);
  if (bytes.length > 0 && !(IMAGE_TYPES as readonly string[]).includes(record.contentType)) {
    throw new ImageError('unsupported_format', `${record.contentType} is not a PNG or JPEG image`);
  }
  return { record, bytes };
}

/** Renders, stores every output, and deletes the stored ones again if anything after fails. */
async function renderAndStore(ctx: JobContext, fileId: string, specs: TransformSpec[], names: (i: number, ext: string) => string) {
  const { record, bytes } = await readImage(ctx, fileId);
  if (!(await ctx.heartbeat({ stage: 'read', percent: 10 }))) return null;
  let cancelled = false;
  const rendered = await renderImages(bytes, specs, async (stage, done) => {
    const percent = stage === 'decoded' ? 50 : Math.min(90, 50 + Math.round((40 * done) / specs.length));
    if (!cancelled && !(await ctx.heartbeat({ stage, percent }))) cancelled = true;
  });
  if (cancelled) return null;
  const base = storageBase(ctx.config);
  const stored: ResultFile[] = [];
  try {
    for (const [i, output] of rendered.outputs.entries()) {
      const ext = output.contentType === 'image/png' ? 'png' : 'jpg';
      const file = await uploadFile(callAs(ctx), base, names(i, ext).replace('{stem}', stem(record.filename)), output.contentType, output.bytes);
      stored.push({ fileId: file.id, width: output.width, height: output.height, contentType: output.contentType, size: file.size });
      await recordDerivedFiles(ctx.db(), [file.id], fileId);
    }
    if (!(await ctx.heartbeat({ stage: 'stored', percent: 100 }))) throw new Error('cancelled');
  } catch (error) {
    for (const file of stored) {
      try {
        await deleteFile(callAs(ctx), base, file.fileId);
      } catch (cleanup) {
        ctx.log.error('a partial result could not be deleted', { fileId: file.fileId, error: cleanup });
      }
    }
    if (error instanceof Error && error.message === 'cancelled') return null;
    throw error;
  }
  return { source: describe(rendered.info), decodeScale: rendered.decodeScale, files: stored };
}

export const graphicsJobHandlers = {
  probe: job(ProbePayload, async (payload, ctx) => {
    const base = storageBase(ctx.config);
    try {
      for (const length of PROBE_READS) {
        const head = await readHead(callAs(ctx), base, payload.fileId, length);
        const partial = head.length === length;
        const info = probeImage(head, { partial });
        if (info) return { ...describe(info), bytesRead: head.length };
        if (!partial) break;
      }
      throw new ImageError('corrupt_image', `no image header in the first ${PROBE_READS.at(-1)} bytes`);
    } catch (error) {
      throw jobError(error);
    }
  }),

  thumbnail: job(ThumbnailPayload, async (payload, ctx) => {
    const { maxPixels } = settings(ctx);
    const sizes = [...payload.sizes].sort((a, b) => b - a);
    const specs: TransformSpec[] = sizes.map((size) => ({ width: size, height: size, fit: 'contain', withoutEnlargement: true, format: 'same', quality: 82, maxPixels }));
    try {
      const done = await renderAndStore(ctx, payload.fileId, specs, (i, ext) => `{stem}.thumb-${sizes[i]}.${ext}`);
      if (!done) return null;
      return { ...done, thumbnails: done.files.map((file, i) => ({ longEdge: sizes[i]!, ...file })) };
    } catch (error) {
      throw jobError(error);
    }
  }),

  resize: job(ResizePayload, async (payload, ctx) => {
    const { maxPixels } = settings(ctx);
    const spec: TransformSpec = {
      ...(payload.width !== undefined ? { width: payload.width } : {}),
      ...(payload.height !== undefined ? { height: payload.height } : {}),
      ...(payload.crop ? { crop: payload.crop } : {}),
      fit: payload.fit, format: payload.format, quality: payload.quality, maxPixels,
    };
    try {
      return await renderAndStore(ctx, payload.fileId, [spec], (_i, ext) => `{stem}.resized.${ext}`);
    } catch (error) {
      throw jobError(error);
    }
  }),

  cover: job(CoverPayload, async (payload, ctx) => {
    const started = Date.now();
    const content = contentBase(ctx.config);
    const storage = storageBase(ctx.config);
    try {
      const book = await readBook(callAs(ctx), content, payload.bookId);
      if (book.title.length > MAX_TITLE_LENGTH) throw new JobInputError('title_too_long', `the title has ${book.title.length} characters; a cover holds at most ${MAX_TITLE_LENGTH}`);
      const paletteName = payload.palette ?? paletteForGenre(book.genre);
      let background: Raster | undefined;
      if (payload.imageFileId) {
        const { bytes } = await readImage(ctx, payload.imageFileId);
        // Behind text and a scrim, a JPEG decoded at up to half the cover's size is enough.
        background = await decodeToRaster(bytes, { width: COVER_WIDTH, height: COVER_HEIGHT, fit: 'cover', format: 'png', maxPixels: settings(ctx).maxPixels }, 2);
        if (!(await ctx.heartbeat({ stage: 'decoded', percent: 40 }))) return null;
      }
      const imageMs = Date.now() - started;
      const fonts = await embeddedCoverFonts();
      const fontsMs = Date.now() - started - imageMs;
      const cover = renderCover(fonts, { title: book.title, subtitle: payload.subtitle, author: payload.author }, { palette: PALETTES[paletteName], ...(background ? { background } : {}) });
      if (!(await ctx.heartbeat({ stage: 'rendered', percent: 60 }))) return null;
      const encodeStarted = Date.now();
      // Flat artwork: rows copied as they are, deflate finds the runs (no per-byte filter pass).
      const png = await encodePng(cover.raster, { filter: 'none' });
      const timings = { ...(background ? { image: imageMs } : {}), fonts: fontsMs, ...cover.timings, encode: Date.now() - encodeStarted };
      if (!(await ctx.heartbeat({ stage: 'encoded', percent: 80 }))) return null;

      const file = await uploadFile(callAs(ctx), storage, `${stem(book.title).replace(/[^\w.-]+/g, '-').slice(0, 80) || 'book'}.cover.png`, 'image/png', png);
      try {
        // The source: the picture, or the book standing in for one. Either way the cover's own
        // file.uploaded makes no thumbnails.
        await recordDerivedFiles(ctx.db(), [file.id], payload.imageFileId ?? book.id);
        if (!(await ctx.heartbeat({ stage: 'stored', percent: 90 }))) throw new Error('cancelled');
        // Last: once the book points at the file, nothing may delete it.
        if (payload.setAsBookCover) await setBookCover(callAs(ctx), content, book.id, file.id);
      } catch (error) {
        try {
          await deleteFile(callAs(ctx), storage, file.id);
        } catch (cleanup) {
          ctx.log.error('a partial result could not be deleted', { fileId: file.id, error: cleanup });
        }
        if (error instanceof Error && error.message === 'cancelled') return null;
        throw error;
      }
      const result: ResultFile = { fileId: file.id, width: cover.raster.width, height: cover.raster.height, contentType: 'image/png', size: file.size };
      return {
        bookId: book.id,
        palette: paletteName,
        imageFileId: payload.imageFileId ?? null,
        setAsBookCover: payload.setAsBookCover,
        files: [result],
        blocks: cover.blocks.map((b) => ({ name: b.name, size: b.size, lines: b.lines, contrast: b.contrast, scrim: b.scrim })),
        timings: { ...timings, total: Date.now() - started },
      };
    } catch (error) {
      throw jobError(error);
    }
  }),
};

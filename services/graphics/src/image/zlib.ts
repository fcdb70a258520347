import { corrupt, ImageError } from './errors.ts';

/**
 * zlib streams over the engine's native CompressionStream / DecompressionStream ('deflate' is
 * the zlib format PNG uses). Inside the component they are ~40× faster than a pure-JS inflate
 * (docs/decisions.md); Node has the same classes, so the unit tests run this very code.
 */
export async function zlibDeflate(bytes: Uint8Array): Promise<Uint8Array> {
  const stream = new CompressionStream('deflate');
  const writer = stream.writable.getWriter();
  void writer.write(bytes as Uint8Array<ArrayBuffer>).then(() => writer.close()).catch(() => {});
  return collect(stream.readable, Infinity);
}

/** Inflates exactly `expected` bytes; more (a bomb) or fewer (truncated) is `corrupt_image`. */
export async function zlibInflateExact(parts: Uint8Array[], expected: number): Promise<Uint8Array> {
  const stream = new DecompressionStream('deflate');
  const writer = stream.writable.getWriter();
  void (async () => {
    for (const part of parts) await writer.write(part as Uint8Array<ArrayBuffer>);
    await writer.close();
  })().catch(() => {});
  let out: Uint8Array;
  try {
    out = await collect(stream.readable, expected);
  } catch (error) {
    if (error instanceof ImageError) throw error;
    throw corrupt('PNG image data does not inflate');
  }
  if (out.length < expected) throw corrupt(`PNG image data is truncated (${out.length} of ${expected} bytes)`);
  return out;
}

async function collect(readable: ReadableStream<Uint8Array>, limit: number): Promise<Uint8Array> {
  const reader = readable.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  const fixed = Number.isFinite(limit) ? new Uint8Array(limit) : null;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    if (fixed) {
      if (total + value.length > limit) {
        void reader.cancel().catch(() => {});
        throw corrupt('PNG image data inflates to more than its dimensions allow');
      }
      fixed.set(value, total);
    } else chunks.push(value);
    total += value.length;
  }
  if (fixed) return total === limit ? fixed : fixed.subarray(0, total);
  const out = new Uint8Array(total);
  let o = 0;
  for (const c of chunks) { out.set(c, o); o += c.length; }
  return out;
}

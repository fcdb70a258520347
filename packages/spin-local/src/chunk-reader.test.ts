import { PassThrough, Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { ChunkReader } from './chunk-reader.ts';

const bytes = (length: number, fill: number) => Buffer.alloc(length, fill);

async function readAll(reader: ChunkReader, maxBytes: number): Promise<Uint8Array[]> {
  const reads: Uint8Array[] = [];
  for (let piece = await reader.read(maxBytes); piece !== null; piece = await reader.read(maxBytes)) reads.push(piece);
  return reads;
}

describe('ChunkReader', () => {
  it('takes everything already buffered in one read, up to the limit', async () => {
    const stream = new PassThrough({ highWaterMark: 1 << 20 });
    for (let i = 0; i < 10; i++) stream.write(bytes(8192, i));
    stream.end();
    const reader = new ChunkReader(stream);
    const first = await reader.read(50_000);
    // Six 8 KiB chunks make 49,152 bytes; the seventh is cut at the limit and its rest kept.
    expect(first!.length).toBe(50_000);
    expect(first![49_152]).toBe(6);
    const rest = await readAll(reader, 1 << 20);
    expect(rest.map((piece) => piece.length)).toEqual([81_920 - 50_000]);
    expect(rest[0]![0]).toBe(6);
  });

  it('returns every byte in order across waits, then null, and null again after that', async () => {
    const stream = new PassThrough();
    const reader = new ChunkReader(stream);
    const reading = readAll(reader, 1000);
    for (let i = 0; i < 5; i++) {
      stream.write(bytes(700, i));
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    stream.end();
    const reads = await reading;
    const all = Buffer.concat(reads);
    expect(all.length).toBe(3500);
    expect(reads.every((piece) => piece.length <= 1000)).toBe(true);
    expect([...new Set(all)]).toEqual([0, 1, 2, 3, 4]);
    expect(await reader.read(1000)).toBeNull();
  });

  it('hands out copies of exactly the bytes read, not views of a larger buffer', async () => {
    const big = bytes(64 * 1024, 7);
    const reader = new ChunkReader(Readable.from([big.subarray(100, 200)]));
    const piece = await reader.read(1 << 20);
    expect(piece!.length).toBe(100);
    expect(piece!.buffer.byteLength).toBe(100);
  });

  it('fails a read when the stream errors or closes before its end', async () => {
    const failing = new PassThrough();
    const reader = new ChunkReader(failing);
    const reading = reader.read(10);
    failing.destroy(new Error('connection reset'));
    await expect(reading).rejects.toThrow(/connection reset/);

    const cut = new PassThrough();
    const cutReader = new ChunkReader(cut);
    const waiting = cutReader.read(10);
    cut.destroy();
    await expect(waiting).rejects.toThrow(/cut short/);
  });

  it('refuses a read of less than one byte', async () => {
    await expect(new ChunkReader(new PassThrough()).read(0)).rejects.toThrow(RangeError);
  });
});

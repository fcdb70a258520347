// How the probe reads a video: by byte ranges of an object it never holds whole. A reader knows
// the object's size and answers `read(start, end)` (end exclusive). Three layers:
// - `bytesReader`: a buffer (unit tests, the Node side of the bench);
// - `blockReader`: any ranged fetch (the storage service's `Range` downloads) read in aligned
//   blocks with a small cache, because the demuxer asks for many tiny ranges (box headers of 8–16
//   bytes) and each fetch from a component is a request to another component;
// - `budgetedReader`: counts what is read and stops a probe that reads too much, too often or too
//   long (a hostile file can declare any sizes; the budget bounds the work whatever it says).
import { VideoError } from './video-error.ts';

export interface RangeReader {
  /** The object's size in bytes. */
  readonly size: number;
  /** Bytes `[start, end)`; `end` is at most `size`. */
  read(start: number, end: number): Promise<Uint8Array>;
}

export function bytesReader(bytes: Uint8Array): RangeReader {
  return {
    size: bytes.length,
    read: async (start, end) => bytes.subarray(start, Math.min(end, bytes.length)),
  };
}

export interface BlockReaderOptions {
  /** Reads are widened to whole blocks of this many bytes (default 64 KiB). */
  blockBytes?: number;
  /** Blocks kept (default 64: 4 MiB with the default block size). */
  maxCachedBlocks?: number;
}

/**
 * A reader over `fetchRange(start, end)` (end exclusive) that fetches whole aligned blocks, one
 * fetch per run of missing blocks, and keeps the most recent blocks.
 */
export function blockReader(size: number, fetchRange: (start: number, end: number) => Promise<Uint8Array>, options: BlockReaderOptions = {}): RangeReader {
  const blockBytes = options.blockBytes ?? 64 * 1024;
  const maxCached = options.maxCachedBlocks ?? 64;
  const cache = new Map<number, Uint8Array>();

  const remember = (index: number, block: Uint8Array) => {
    cache.delete(index);
    cache.set(index, block);
    while (cache.size > maxCached) cache.delete(cache.keys().next().value!);
  };

  async function load(first: number, last: number): Promise<void> {
    const start = first * blockBytes;
    const end = Math.min((last + 1) * blockBytes, size);
    const bytes = await fetchRange(start, end);
    if (bytes.length !== end - start) throw new VideoError('storage_error', `Asked storage for ${end - start} bytes at ${start}, got ${bytes.length}`);
    for (let index = first; index <= last; index++) {
      const from = (index - first) * blockBytes;
      remember(index, bytes.subarray(from, Math.min(from + blockBytes, bytes.length)));
    }
  }

  return {
    size,
    async read(start, end) {
      end = Math.min(end, size);
      if (end <= start) return new Uint8Array(0);
      const first = Math.floor(start / blockBytes);
      const last = Math.floor((end - 1) / blockBytes);
      // Fetch each run of missing blocks with one request.
      let runStart = -1;
      for (let index = first; index <= last + 1; index++) {
        const missing = index <= last && !cache.has(index);
        if (missing && runStart < 0) runStart = index;
        if (!missing && runStart >= 0) {
          await load(runStart, index - 1);
          runStart = -1;
        }
      }
      if (first === last) {
        const block = cache.get(first)!;
        return block.subarray(start - first * blockBytes, end - first * blockBytes);
      }
      const out = new Uint8Array(end - start);
      for (let index = first; index <= last; index++) {
        const block = cache.get(index)!;
        const blockStart = index * blockBytes;
        const from = Math.max(start, blockStart);
        const to = Math.min(end, blockStart + block.length);
        out.set(block.subarray(from - blockStart, to - blockStart), from - start);
      }
      return out;
    },
  };
}

export interface ReadBudget {
  /** Bytes the probe may ask for in all (default 16 MiB). */
  maxBytes?: number;
  /** Reads it may make (default 2,000). */
  maxReads?: number;
  /** Milliseconds from the first read after which any further read fails (default 20 s). */
  maxMilliseconds?: number;
  now?: () => number;
}

export interface ReadStats {
  reads: number;
  bytesRead: number;
}

export const DEFAULT_READ_BUDGET = { maxBytes: 16 * 1024 * 1024, maxReads: 2000, maxMilliseconds: 20_000 } as const;

/** `reader` with every read counted and refused (`probe_limit_exceeded`) past the budget. */
export function budgetedReader(reader: RangeReader, budget: ReadBudget = {}): RangeReader & { stats: ReadStats } {
  const maxBytes = budget.maxBytes ?? DEFAULT_READ_BUDGET.maxBytes;
  const maxReads = budget.maxReads ?? DEFAULT_READ_BUDGET.maxReads;
  const maxMilliseconds = budget.maxMilliseconds ?? DEFAULT_READ_BUDGET.maxMilliseconds;
  const now = budget.now ?? (() => Date.now());
  const stats: ReadStats = { reads: 0, bytesRead: 0 };
  let startedAt: number | null = null;
  return {
    size: reader.size,
    stats,
    async read(start, end) {
      if (!Number.isSafeInteger(start) || !Number.isSafeInteger(end) || start < 0 || end < start) {
        throw new VideoError('corrupt_video', `The file's structure asks for an impossible range [${start}, ${end})`);
      }
      end = Math.min(end, reader.size);
      if (start >= end) return new Uint8Array(0);
      startedAt ??= now();
      if (now() - startedAt > maxMilliseconds) throw new VideoError('probe_limit_exceeded', `Probing took longer than ${maxMilliseconds} ms`);
      if (stats.reads + 1 > maxReads) throw new VideoError('probe_limit_exceeded', `Probing needed more than ${maxReads} reads`);
      if (stats.bytesRead + (end - start) > maxBytes) {
        throw new VideoError('probe_limit_exceeded', `Probing needed more than ${maxBytes} bytes of the file (its metadata is too large or its structure loops)`);
      }
      stats.reads++;
      stats.bytesRead += end - start;
      return reader.read(start, end);
    },
  };
}

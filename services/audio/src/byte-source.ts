// Where audio bytes come from and go to. A source answers ranged reads (a storage file read with
// `Range`, or bytes in memory in tests); a sink takes the output in order. Every operation here
// works through these, so memory stays bounded by the chunk size, not by the length of the audio.

export interface ByteSource {
  /** Total length in bytes. */
  readonly size: number;
  /** Bytes [start, end) — end exclusive, within [0, size]. May return fewer only at the end of the source. */
  read(start: number, end: number): Promise<Uint8Array>;
  /** How many bytes one read should ask for when streaming (each read of a remote source is a request). */
  readonly chunkBytes?: number;
}

export type ByteSink = (chunk: Uint8Array) => Promise<void> | void;

export function memorySource(bytes: Uint8Array): ByteSource {
  return {
    size: bytes.length,
    read: async (start, end) => bytes.subarray(start, Math.min(end, bytes.length)),
  };
}

/** A sink that keeps everything (tests and small outputs only). */
export function memorySink(): { sink: ByteSink; bytes(): Uint8Array } {
  const chunks: Uint8Array[] = [];
  return {
    sink: (chunk) => {
      chunks.push(chunk.slice());
    },
    bytes: () => {
      const total = chunks.reduce((sum, chunk) => sum + chunk.length, 0);
      const out = new Uint8Array(total);
      let at = 0;
      for (const chunk of chunks) {
        out.set(chunk, at);
        at += chunk.length;
      }
      return out;
    },
  };
}

/** Counts what a source is asked for (tests and the bench report bytes read). */
export function countingSource(source: ByteSource): ByteSource & { reads: number; bytesRead: number } {
  const counted = {
    size: source.size,
    reads: 0,
    bytesRead: 0,
    async read(start: number, end: number) {
      const bytes = await source.read(start, end);
      counted.reads += 1;
      counted.bytesRead += bytes.length;
      return bytes;
    },
  };
  return counted;
}

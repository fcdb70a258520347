/**
 * Reads a Node stream in pieces as large as the caller allows, taking everything already buffered
 * in one go. A guest reads bodies 8 KiB at a time, and each read it makes of a body on the main
 * thread is a synchronous host call (~0.1 ms of round trip): one socket chunk per call meant 2,560
 * calls for 20 MiB. The executor asks for up to `HOST_READ_BYTES` per call and serves the guest's
 * small reads from what it got (guest/streams.ts `InputStream` keeps the rest).
 */
import type { Readable } from 'node:stream';

/** How much one host call may carry of a body being read (the executor asks for this much). */
export const HOST_READ_BYTES = 1024 * 1024;

export class ChunkReader {
  private leftover: Buffer | null = null;
  private ended = false;
  private failure: Error | null = null;

  constructor(private readonly stream: Readable) {
    stream.once('end', () => (this.ended = true));
    stream.once('error', (error) => (this.failure = error));
    // A stream that closes without 'end' (a dropped connection) must not leave a read waiting.
    stream.once('close', () => {
      if (!stream.readableEnded) this.failure ??= new Error('the body was cut short');
    });
  }

  /** Up to `maxBytes` (at least one byte), or null at the end; waits only when nothing is buffered. */
  async read(maxBytes: number): Promise<Uint8Array | null> {
    if (!(maxBytes >= 1)) throw new RangeError(`maxBytes must be at least 1, not ${maxBytes}`);
    for (;;) {
      const pieces: Buffer[] = [];
      let size = 0;
      if (this.leftover) {
        pieces.push(this.leftover);
        size = this.leftover.length;
        this.leftover = null;
      }
      while (size < maxBytes) {
        const chunk = this.stream.read() as Buffer | null;
        if (chunk === null) break;
        pieces.push(chunk);
        size += chunk.length;
      }
      if (size > 0) {
        const all = pieces.length === 1 ? pieces[0]! : Buffer.concat(pieces, size);
        if (all.length > maxBytes) this.leftover = all.subarray(maxBytes);
        // A copy of exactly these bytes: a view would make the host bridge clone the whole
        // underlying buffer (Node's socket reads share one).
        return new Uint8Array(all.subarray(0, maxBytes));
      }
      if (this.failure) throw this.failure;
      if (this.ended || this.stream.readableEnded) return null;
      await this.readable();
    }
  }

  private readable(): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        this.stream.off('readable', done);
        this.stream.off('end', done);
        this.stream.off('error', done);
        this.stream.off('close', done);
        resolve();
      };
      this.stream.on('readable', done);
      this.stream.on('end', done);
      this.stream.on('error', done);
      this.stream.on('close', done);
    });
  }
}

/**
 * wasi:io (error, poll, streams) for guests, implemented in-thread. preview2-shim routes every
 * stream call through its I/O worker; here request and response bodies are plain in-memory
 * sources and sinks, and the few operations that must wait (a streamed request body, an outbound
 * response, a timer) block on the host bridge or a clock, so polling is cheap and 204/304 bodies
 * are simply "no body".
 */

/** A WIT `stream-error`, thrown as-is so jco's glue lowers it as the `err` case. */
export type StreamError = { tag: 'closed' } | { tag: 'last-operation-failed'; val: IoError };

export class IoError {
  constructor(readonly message: string) {}
  toDebugString(): string {
    return this.message;
  }
}

const sleepCell = new Int32Array(new SharedArrayBuffer(4));

function sleepMs(ms: number): void {
  if (ms > 0) Atomics.wait(sleepCell, 0, 0, ms);
}

/**
 * A pollable either is ready, becomes ready at a monotonic deadline, or becomes ready by doing
 * blocking work (`settle`), such as performing an outbound request over the host bridge.
 */
export class Pollable {
  constructor(
    private readonly deadlineNs?: bigint,
    private readonly settle?: { isReady(): boolean; block(): void },
  ) {}

  static ready(): Pollable {
    return new Pollable();
  }

  ready(): boolean {
    if (this.settle) return this.settle.isReady();
    if (this.deadlineNs !== undefined) return process.hrtime.bigint() >= this.deadlineNs;
    return true;
  }

  block(): void {
    if (this.settle) return this.settle.block();
    if (this.deadlineNs !== undefined) {
      const remainingNs = this.deadlineNs - process.hrtime.bigint();
      if (remainingNs > 0n) sleepMs(Math.ceil(Number(remainingNs) / 1e6));
    }
  }

  /** For `poll`: when a timer-only pollable will be ready (undefined = not a timer). */
  get deadline(): bigint | undefined {
    return this.settle ? undefined : this.deadlineNs;
  }
}

export function poll(pollables: Pollable[]): Uint32Array {
  const readyNow = () => pollables.flatMap((p, i) => (p.ready() ? [i] : []));
  let ready = readyNow();
  if (ready.length > 0) return Uint32Array.from(ready);
  // Prefer settling real work (an outbound response) over sleeping until a timer fires.
  const work = pollables.find((p) => p.deadline === undefined);
  if (work) work.block();
  else {
    const soonest = pollables.reduce((a, b) => ((a.deadline ?? 0n) <= (b.deadline ?? 0n) ? a : b));
    soonest.block();
  }
  ready = readyNow();
  return Uint32Array.from(ready.length > 0 ? ready : [0]);
}

/** Where an input stream's bytes come from. `pull` blocks until more bytes or the end (null). */
export interface ByteSource {
  pull(maxBytes: number): Uint8Array | null;
}

export class BufferSource implements ByteSource {
  private offset = 0;
  constructor(private readonly bytes: Uint8Array) {}
  pull(maxBytes: number): Uint8Array | null {
    if (this.offset >= this.bytes.length) return null;
    const chunk = this.bytes.subarray(this.offset, this.offset + maxBytes);
    this.offset += chunk.length;
    return chunk;
  }
}

export const emptySource: ByteSource = { pull: () => null };

export class InputStream {
  private pending: Uint8Array | null = null;
  private ended = false;

  constructor(private readonly source: ByteSource) {}

  read(len: bigint): Uint8Array {
    if (this.ended && !this.pending) throw { tag: 'closed' } satisfies StreamError;
    const max = Number(len);
    if (max === 0) return new Uint8Array(0);
    let chunk = this.pending;
    this.pending = null;
    if (!chunk) {
      chunk = this.source.pull(max);
      if (chunk === null) {
        this.ended = true;
        throw { tag: 'closed' } satisfies StreamError;
      }
    }
    if (chunk.length > max) {
      this.pending = chunk.subarray(max);
      chunk = chunk.subarray(0, max);
    }
    return chunk;
  }

  blockingRead(len: bigint): Uint8Array {
    return this.read(len);
  }

  skip(len: bigint): bigint {
    return BigInt(this.read(len).length);
  }

  blockingSkip(len: bigint): bigint {
    return this.skip(len);
  }

  subscribe(): Pollable {
    return Pollable.ready();
  }
}

/** Where an output stream's bytes go. */
export interface ByteSink {
  write(bytes: Uint8Array): void;
  flush?(): void;
}

export class BufferSink implements ByteSink {
  readonly chunks: Uint8Array[] = [];
  write(bytes: Uint8Array): void {
    this.chunks.push(bytes.slice());
  }
  bytes(): Uint8Array {
    return Buffer.concat(this.chunks);
  }
}

/** How much a guest may write before its next `check-write`; sinks never push back. */
const writeBudget = 1n << 20n;

export class OutputStream {
  private closed = false;

  constructor(private readonly sink: ByteSink) {}

  close(): void {
    this.closed = true;
  }

  checkWrite(): bigint {
    if (this.closed) throw { tag: 'closed' } satisfies StreamError;
    return writeBudget;
  }

  write(contents: Uint8Array): void {
    if (this.closed) throw { tag: 'closed' } satisfies StreamError;
    // The guest's memory view is only valid during this call: the sink must copy what it keeps.
    this.sink.write(contents);
  }

  blockingWriteAndFlush(contents: Uint8Array): void {
    this.write(contents);
    this.flush();
  }

  flush(): void {
    if (this.closed) throw { tag: 'closed' } satisfies StreamError;
    this.sink.flush?.();
  }

  blockingFlush(): void {
    this.flush();
  }

  subscribe(): Pollable {
    return Pollable.ready();
  }

  writeZeroes(len: bigint): void {
    this.write(new Uint8Array(Number(len)));
  }

  blockingWriteZeroesAndFlush(len: bigint): void {
    this.writeZeroes(len);
    this.flush();
  }

  splice(src: InputStream, len: bigint): bigint {
    let chunk: Uint8Array;
    try {
      chunk = src.read(len);
    } catch (error) {
      throw error;
    }
    this.write(chunk);
    return BigInt(chunk.length);
  }

  blockingSplice(src: InputStream, len: bigint): bigint {
    return this.splice(src, len);
  }
}

/** Text written by a guest to stdout/stderr, split into lines and handed to `emit`. */
export class LineSink implements ByteSink {
  private partial = '';
  private readonly decoder = new TextDecoder();

  constructor(private readonly emit: (line: string) => void) {}

  write(bytes: Uint8Array): void {
    const text = this.partial + this.decoder.decode(bytes, { stream: true });
    const lines = text.split('\n');
    this.partial = lines.pop() ?? '';
    for (const line of lines) this.emit(line);
  }

  flush(): void {
    if (this.partial) {
      this.emit(this.partial);
      this.partial = '';
    }
  }
}

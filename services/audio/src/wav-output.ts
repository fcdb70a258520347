// A WAV that is about to be written: its exact size is known before the first byte (so it can
// go out as one request with Content-Length), and `write` streams header then samples to a sink.
import type { ByteSink } from './byte-source.ts';

export interface WavOutput {
  size: number;
  write(sink: ByteSink, onProgress?: (fraction: number) => Promise<void>): Promise<void>;
}

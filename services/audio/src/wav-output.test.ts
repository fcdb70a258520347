// Ranged writes: an output written part by part (as a multipart upload's parts are, one job step
// at a time) is byte for byte the output written whole, and reads only the frames under each part.
import { describe, expect, it } from 'vitest';
import { planAssemble } from './assemble.ts';
import { countingSource, memorySink, memorySource } from './byte-source.ts';
import { gainOutput } from './normalise.ts';
import { segmentedOutput, type WavOutput } from './wav-output.ts';
import { encodeWav, parseWav, type WavFormat } from './wav.ts';

const PCM24: WavFormat = { encoding: 'pcm', bitsPerSample: 24, channels: 2, sampleRate: 8000, channelMask: 0, extensible: false };
const PCM8: WavFormat = { encoding: 'pcm', bitsPerSample: 8, channels: 1, sampleRate: 8000, channelMask: 0, extensible: false };

function noise(format: WavFormat, frames: number, seed: number): Float32Array {
  const samples = new Float32Array(frames * format.channels);
  let state = seed;
  for (let i = 0; i < samples.length; i++) {
    state = (state * 1103515245 + 12345) >>> 0;
    samples[i] = (state / 0xffffffff) * 1.2 - 0.6;
  }
  return samples;
}

async function whole(output: WavOutput): Promise<Uint8Array> {
  const { sink, bytes } = memorySink();
  await output.write(sink);
  return bytes();
}

async function inParts(output: WavOutput, cuts: number[]): Promise<Uint8Array> {
  const { sink, bytes } = memorySink();
  const bounds = [0, ...cuts, output.size];
  for (let i = 0; i + 1 < bounds.length; i++) await output.writeRange(bounds[i]!, bounds[i + 1]!, sink);
  return bytes();
}

async function chapter(format: WavFormat, frames: number, seed: number) {
  const source = countingSource(memorySource(encodeWav(format, noise(format, frames, seed))));
  return { source, wav: await parseWav(source) };
}

describe('ranged writes of an output', () => {
  it('give the whole output when the ranges are joined, wherever the cuts fall (assemble with gaps and markers)', async () => {
    const inputs = [
      { title: 'One', ...(await chapter(PCM24, 1001, 1)) },
      { title: 'Two', ...(await chapter(PCM24, 7, 2)) },
      { title: 'Three', ...(await chapter(PCM24, 2500, 3)) },
    ];
    const { output } = planAssemble(inputs, { gapSeconds: 0.01 });
    const expected = await whole(output);
    expect(expected.length).toBe(output.size);
    // Cuts inside the header, inside a frame (24-bit stereo: 6-byte frames), at segment edges, in a gap.
    for (const cuts of [[1], [44, 45, 50], [100, 6101, 6102, 6103, 7000], [output.size - 1], Array.from({ length: 40 }, (_, i) => Math.floor(((i + 1) * output.size) / 41))]) {
      expect(await inParts(output, cuts)).toEqual(expected);
    }
  });

  it('apply a gain to the frames under the range only, byte-exact with the whole write (8-bit, odd data length padded)', async () => {
    const { source, wav } = await chapter(PCM8, 3001, 4);
    const output = gainOutput(source, wav, -6);
    expect(output.size % 2).toBe(0);
    const expected = await whole(output);
    expect(await inParts(output, [17, 1000, 1001, 2999, output.size - 1])).toEqual(expected);
  });

  it('read only the frames under a range, not what comes before it', async () => {
    const first = await chapter(PCM24, 4000, 5);
    const second = await chapter(PCM24, 4000, 6);
    const { output } = planAssemble([
      { title: 'a', ...first },
      { title: 'b', ...second },
    ]);
    const readsBefore = first.source.bytesRead;
    const { sink, bytes } = memorySink();
    // The last 6,000 bytes: inside the second chapter only.
    await output.writeRange(output.size - 6000, output.size, sink);
    expect(bytes().length).toBe(6000);
    expect(first.source.bytesRead).toBe(readsBefore);
    expect(second.source.bytesRead - 0).toBeLessThanOrEqual(second.wav.dataOffset + 6000 + 6 + 64 * 1024);
  });

  it('refuses a range outside the output', async () => {
    const output = segmentedOutput([{ kind: 'fill', length: 10, value: 1 }]);
    await expect(output.writeRange(5, 11, () => {})).rejects.toThrow(RangeError);
    await expect(output.writeRange(6, 5, () => {})).rejects.toThrow(RangeError);
    const { sink, bytes } = memorySink();
    await output.writeRange(3, 7, sink);
    expect([...bytes()]).toEqual([1, 1, 1, 1]);
  });
});

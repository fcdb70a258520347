import { createHash, randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { memorySink } from './byte-source.ts';
import { PartsProgress, type ResultUpload, writeNextParts } from './result-parts.ts';
import { segmentedOutput, type WavOutput } from './wav-output.ts';

function output(size: number): WavOutput {
  const bytes = new Uint8Array(size);
  for (let i = 0; i < size; i++) bytes[i] = (i * 7 + (i >> 8)) & 0xff;
  return segmentedOutput([{ kind: 'bytes', bytes }]);
}

function upload(size: number, partSize: number): ResultUpload {
  return { fileId: randomUUID(), size, partSize, partCount: Math.ceil(size / partSize) };
}

/** Storage as the parts see it: what arrived, checked against the digest sent with it. */
function storage() {
  const received = new Map<number, Uint8Array>();
  return {
    received,
    target: {
      async putPart(_: ResultUpload, partNumber: number, bytes: Uint8Array<ArrayBuffer>, sha256: string) {
        expect(createHash('sha256').update(bytes).digest('hex')).toBe(sha256);
        received.set(partNumber, bytes.slice());
      },
    },
  };
}

describe('writeNextParts', () => {
  it('writes a result in steps of at most stepBytes, resuming from the stored progress, until the parts join to the whole output', async () => {
    const result = output(10_000);
    const { received, target } = storage();
    let progress: PartsProgress = { upload: upload(10_000, 1_500), parts: [] };
    const steps: number[] = [];
    for (;;) {
      // Through JSON, as the job's progress is stored between steps.
      progress = PartsProgress.parse(JSON.parse(JSON.stringify(progress)));
      const step = await writeNextParts(result, progress, target, { stepBytes: 4_000 });
      steps.push(step.wroteBytes);
      progress = step.progress;
      if (step.done) break;
    }
    expect(steps).toEqual([3_000, 3_000, 3_000, 1_000]);
    expect(progress.parts.map((part) => part.partNumber)).toEqual([1, 2, 3, 4, 5, 6, 7]);
    const { sink, bytes } = memorySink();
    await result.write(sink);
    const joined = Buffer.concat([...received.keys()].sort((a, b) => a - b).map((n) => received.get(n)!));
    expect(new Uint8Array(joined)).toEqual(bytes());
  });

  it('writes one part per step when a part is larger than the step', async () => {
    const step = await writeNextParts(output(5_000), { upload: upload(5_000, 2_000), parts: [] }, storage().target, { stepBytes: 100 });
    expect(step).toMatchObject({ done: false, wroteBytes: 2_000 });
    expect(step.progress.parts).toHaveLength(1);
  });

  it('refuses an output whose size is not the upload\'s', async () => {
    await expect(writeNextParts(output(5_000), { upload: upload(5_001, 2_000), parts: [] }, storage().target, { stepBytes: 100 })).rejects.toThrow(/5001/);
  });
});

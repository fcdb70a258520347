// The operations the bench times, the same code in Node and in the component: each takes the
// file's bytes and returns a small summary (so the two runs can be checked to agree).
import { memorySink, memorySource } from '../../../services/audio/src/byte-source.ts';
import { measureLoudness } from '../../../services/audio/src/loudness.ts';
import { planNormalise } from '../../../services/audio/src/normalise.ts';
import { computeWaveform } from '../../../services/audio/src/peaks.ts';
import { probeAudio } from '../../../services/audio/src/probe.ts';
import { parseWav } from '../../../services/audio/src/wav.ts';

export const OPERATIONS = ['probe', 'waveform', 'loudness', 'normalise'] as const;
export type Operation = (typeof OPERATIONS)[number];

export async function runOperation(operation: Operation, bytes: Uint8Array): Promise<unknown> {
  const source = memorySource(bytes);
  switch (operation) {
    case 'probe': {
      const probe = await probeAudio(source);
      return { format: probe.format, durationSeconds: probe.durationSeconds, sampleRate: probe.sampleRate, channels: probe.channels, title: probe.tags.title ?? null };
    }
    case 'waveform': {
      const waveform = await computeWaveform(source, await parseWav(source), 1000);
      return { buckets: waveform.buckets, maxPeak: Math.max(...waveform.max) };
    }
    case 'loudness': {
      const loudness = await measureLoudness(source, await parseWav(source));
      return { integratedLufs: loudness.integratedLufs === null ? null : Math.round(loudness.integratedLufs * 100) / 100 };
    }
    case 'normalise': {
      const plan = await planNormalise(source, await parseWav(source), { mode: 'loudness', lufs: -18, ceilingDbfs: -1 });
      const { sink, bytes: written } = memorySink();
      let size = 0;
      await plan.output.write((chunk) => {
        size += chunk.length;
        // Keep only the header: holding the whole output would measure the copy, not the work.
        if (size <= 64) sink(chunk);
      });
      return { gainDb: Math.round(plan.gainDb * 100) / 100, size, header: written().length };
    }
  }
}

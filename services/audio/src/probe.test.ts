import { readFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { AudioError } from './audio-error.ts';
import { countingSource, memorySource } from './byte-source.ts';
import { probeAudio } from './probe.ts';
import { ffmpeg, ffprobe, hasFfmpeg, missingToolsMessage, removeScratch, scratchPath } from './reference-tools.ts';
import { encodeWav } from './wav.ts';

afterAll(removeScratch);

const SOURCE = ['-f', 'lavfi', '-i', 'sine=frequency=330:duration=12.5:sample_rate=44100'];

describe('probe of compressed formats, against ffprobe', () => {
  it.skipIf(!hasFfmpeg)('MP3 (VBR with a Xing header, ID3v2 tags, cover art): frame-exact duration, tags, image described; reads a fraction of the file', async () => {
    const cover = scratchPath('cover.png');
    ffmpeg(['-f', 'lavfi', '-i', 'color=c=red:s=64x64:d=0.1', '-frames:v', '1'], cover);
    const path = scratchPath('tagged.mp3');
    // Two minutes (~480 KB): mediabunny reads MP3 in 64 KiB windows, so a short file would be read whole.
    const bytes = ffmpeg(['-f', 'lavfi', '-i', 'sine=frequency=330:duration=120:sample_rate=44100', '-i', cover, '-map', '0:a', '-map', '1:v', '-c:a', 'libmp3lame', '-q:a', '4', '-c:v', 'png', '-disposition:v', 'attached_pic', '-metadata:s:v', 'comment=Cover (front)', '-id3v2_version', '3',
      '-metadata', 'title=The Night Mail', '-metadata', 'artist=Ada Lovelace', '-metadata', 'album=Letters', '-metadata', 'track=3', '-metadata', 'genre=Audiobook'], path);
    const source = countingSource(memorySource(bytes));
    const probe = await probeAudio(source);
    const reference = ffprobe(path);
    expect(probe).toMatchObject({ format: 'mp3', codec: 'mp3', sampleRate: 44100, channels: 1 });
    // Frame-exact: a whole number of 1,152-sample frames (120 s + the encoder's delay, rounded up to
    // a frame), equal to ffprobe's duration to the microsecond it prints.
    expect(Number.isInteger(Math.round(probe.durationSeconds * 44100 * 1000) / 1000 / 1152)).toBe(true);
    expect(Math.abs(probe.durationSeconds - Number(reference.format.duration))).toBeLessThan(1e-6);
    expect(probe.tags).toMatchObject({ title: 'The Night Mail', artist: 'Ada Lovelace', album: 'Letters', trackNumber: 3, genre: 'Audiobook' });
    expect(probe.images).toEqual([expect.objectContaining({ mimeType: 'image/png', kind: 'coverFront' })]);
    expect(source.bytesRead).toBeLessThan(200 * 1024);
    expect(bytes.length).toBeGreaterThan(400_000);
  });

  it.skipIf(!hasFfmpeg)('MP3 CBR without a Xing header: duration counted in whole frames, bitrate 128 kb/s', async () => {
    const path = scratchPath('cbr.mp3');
    const bytes = ffmpeg([...SOURCE, '-c:a', 'libmp3lame', '-b:a', '128k', '-write_xing', '0'], path);
    const probe = await probeAudio(memorySource(bytes));
    // Counted from the frame headers: whole frames, 12.5 s plus under two frames of encoder delay and padding.
    const frames = (probe.durationSeconds * 44100) / 1152;
    expect(Math.abs(frames - Math.round(frames))).toBeLessThan(1e-6);
    expect(probe.durationSeconds - 12.5).toBeGreaterThanOrEqual(0);
    expect(probe.durationSeconds - 12.5).toBeLessThan((2 * 1152) / 44100);
    expect(probe.bitrate).toBeGreaterThan(120_000);
    expect(probe.bitrate).toBeLessThan(136_000);
  });

  const others: [string, string, string[], string][] = [
    ['M4A (AAC)', 'm4a', ['-c:a', 'aac', '-b:a', '96k'], 'aac'],
    ['FLAC', 'flac', ['-c:a', 'flac'], 'flac'],
    ['OGG Vorbis', 'ogg', ['-c:a', 'libvorbis', '-q:a', '3'], 'vorbis'],
    ['OGG Opus', 'opus', ['-c:a', 'libopus', '-b:a', '48k'], 'opus'],
  ];
  for (const [name, extension, args, codec] of others) {
    it.skipIf(!hasFfmpeg)(`${name}: codec, rate, channels, title; duration within 30 ms of ffprobe`, async () => {
      const path = scratchPath(`probe.${extension}`);
      const bytes = ffmpeg([...SOURCE, '-ac', '2', ...args, '-metadata', 'title=Chapter 7'], path);
      const probe = await probeAudio(memorySource(bytes));
      const reference = ffprobe(path);
      expect(probe.codec).toBe(codec);
      expect(probe.channels).toBe(2);
      expect(probe.sampleRate).toBe(Number(reference.streams[0]!.sample_rate));
      expect(Math.abs(probe.durationSeconds - Number(reference.format.duration))).toBeLessThan(0.03);
      expect(probe.tags.title).toBe('Chapter 7');
    });
  }
  if (!hasFfmpeg) it.skip(missingToolsMessage('ffmpeg'), () => {});
});

describe('probe of WAV and of what is not audio', () => {
  it('WAV: exact duration, format, chapters from cue labels', async () => {
    const bytes = encodeWav({ encoding: 'pcm', bitsPerSample: 24, channels: 1, sampleRate: 48000, channelMask: 0, extensible: false }, new Float32Array(48000 * 3 + 7), [{ id: 1, frame: 48000, label: 'Two' }]);
    const probe = await probeAudio(memorySource(bytes));
    expect(probe).toMatchObject({ format: 'wav', codec: 'pcm-s24', frames: 144007, durationSeconds: 144007 / 48000, sampleRate: 48000, channels: 1, bitsPerSample: 24 });
    expect(probe.chapters).toEqual([{ id: 1, frame: 48000, seconds: 1, label: 'Two' }]);
  });

  it('zero bytes → empty_audio; text → unsupported_format; a truncated MP3 header → an AudioError', async () => {
    const codeOf = async (bytes: Uint8Array) => {
      const error = await probeAudio(memorySource(bytes)).catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(AudioError);
      return (error as AudioError).code;
    };
    expect(await codeOf(new Uint8Array())).toBe('empty_audio');
    expect(await codeOf(new TextEncoder().encode('Once upon a time there was a file that was not audio at all.'.repeat(20)))).toBe('unsupported_format');
    expect(['corrupt_audio', 'unsupported_format']).toContain(await codeOf(new Uint8Array([0x49, 0x44, 0x33, 4, 0, 0, 0x7f, 0x7f, 0x7f, 0x7f, 1, 2, 3])));
  });

  it.skipIf(!hasFfmpeg)('an MP3 cut to its first 3 KiB still probes or fails with a code, never hangs or throws something else', async () => {
    const bytes = new Uint8Array(readFileSync(scratchPath('cbr.mp3'))).subarray(0, 3072);
    const outcome = await probeAudio(memorySource(bytes)).then((probe) => probe.format, (error: unknown) => (error instanceof AudioError ? error.code : 'other'));
    expect(['mp3', 'corrupt_audio', 'unsupported_format']).toContain(outcome);
  });
});

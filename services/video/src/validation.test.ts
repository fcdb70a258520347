import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { probeVideo, type VideoProbe } from './probe.ts';
import { bytesReader } from './range-reader.ts';
import { LIMIT_VARIABLES, reportOfProbeFailure, validateProbe, videoLimits, type VideoLimits } from './validation.ts';
import { VideoError } from './video-error.ts';

const config = (values: Record<string, string>) => ({ optional: (name: string, fallback: string) => values[name] ?? fallback });
const DEFAULTS: VideoLimits = videoLimits(config({}));
const fixture = (name: string) => new Uint8Array(readFileSync(new URL(`../test/fixtures/${name}`, import.meta.url)));

describe('videoLimits', () => {
  it('reads the variables, with the defaults spin.toml declares', async () => {
    expect(DEFAULTS).toEqual({
      maxBytes: 1073741824,
      maxDurationSeconds: 3600,
      maxLongSide: 3840,
      maxShortSide: 2160,
      videoCodecs: ['h264', 'hevc', 'vp8', 'vp9', 'av1'],
      audioCodecs: ['aac', 'opus', 'mp3', 'vorbis', 'flac'],
    });
    const manifest = readFileSync(new URL('../spin.toml', import.meta.url), 'utf8');
    for (const [name, value] of Object.entries(LIMIT_VARIABLES)) expect(manifest).toContain(`video_${name} = { default = "${value}" }`);
    expect(videoLimits(config({ max_duration_seconds: '60', video_codecs: ' H264 , vp9,' }))).toMatchObject({ maxDurationSeconds: 60, videoCodecs: ['h264', 'vp9'] });
  });

  it('refuses malformed values', () => {
    expect(() => videoLimits(config({ max_bytes: '-1' }))).toThrow(/max_bytes|maxBytes/);
    expect(() => videoLimits(config({ max_long_side: 'lots' }))).toThrow(/misconfigured/);
    expect(() => videoLimits(config({ audio_codecs: 'aac;drop table' }))).toThrow(/misconfigured/);
  });
});

describe('validateProbe', () => {
  it('passes a fixture within the defaults', async () => {
    const probe = await probeVideo(bytesReader(fixture('h264-aac.mp4')));
    expect(validateProbe(probe, DEFAULTS)).toMatchObject({ valid: true, violations: [] });
  });

  it('names every limit a video breaks', async () => {
    const probe = await probeVideo(bytesReader(fixture('h264-aac.mkv')));
    const limits = { ...DEFAULTS, maxBytes: 1000, maxDurationSeconds: 1, maxLongSide: 100, videoCodecs: ['vp9'], audioCodecs: ['opus'] };
    const report = validateProbe(probe, limits);
    expect(report.valid).toBe(false);
    expect(report.violations.map((violation) => violation.code)).toEqual([
      'file_too_large',
      'duration_too_long',
      'resolution_too_high',
      'video_codec_not_allowed',
      'audio_codec_not_allowed',
    ]);
  });

  it('treats portrait and landscape alike', async () => {
    const probe = await probeVideo(bytesReader(fixture('rotated-90.mov'))); // displayed 120×160
    expect(validateProbe(probe, { ...DEFAULTS, maxLongSide: 160, maxShortSide: 120 }).valid).toBe(true);
    expect(validateProbe(probe, { ...DEFAULTS, maxLongSide: 159, maxShortSide: 120 }).violations[0]!.code).toBe('resolution_too_high');
  });

  it('flags a file with no video track', async () => {
    const probe: VideoProbe = { ...(await probeVideo(bytesReader(fixture('h264-aac.mp4')))), video: null, videoTracks: 0 };
    expect(validateProbe(probe, DEFAULTS).violations.map((violation) => violation.code)).toEqual(['no_video_track']);
  });
});

describe('reportOfProbeFailure', () => {
  it('turns the file’s own failures into a verdict and rethrows the rest', () => {
    const report = reportOfProbeFailure(new VideoError('corrupt_video', 'The file is empty'), DEFAULTS);
    expect(report).toMatchObject({ valid: false, probe: null, violations: [{ code: 'corrupt_video', message: 'The file is empty' }] });
    expect(() => reportOfProbeFailure(new VideoError('storage_error', 'down'), DEFAULTS)).toThrow(expect.objectContaining({ code: 'storage_error' }));
    expect(() => reportOfProbeFailure(new Error('boom'), DEFAULTS)).toThrow(/boom/);
  });
});

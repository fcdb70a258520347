// The probe against ffprobe (Debian's ffmpeg) on the committed fixtures, and on broken files.
// Fixtures (test/fixtures, 12–40 KB, made by ffmpeg 5.1 from lavfi testsrc + sine; commands in
// test/fixtures/README.md): MP4 H.264+AAC, MOV rotated 90° (moov at the end), MP4 rotated 270°
// without audio, MP4 HEVC, WebM VP8+Opus and VP9+Opus, MKV H.264+AAC at 29.97 fps.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { MAX_TOP_LEVEL_BOXES } from './container-check.ts';
import { probeVideo, snapFrameRate, type VideoProbe } from './probe.ts';
import { blockReader, bytesReader, type RangeReader } from './range-reader.ts';
import { VideoError } from './video-error.ts';

const FIXTURES = new URL('../test/fixtures/', import.meta.url);
const fixture = (name: string) => new Uint8Array(readFileSync(new URL(name, FIXTURES)));
const FIXTURE_NAMES = ['h264-aac.mp4', 'rotated-90.mov', 'rotated-270.mp4', 'hevc-noaudio.mp4', 'vp8-opus.webm', 'vp9-opus.webm', 'h264-aac.mkv'];

function hasFfprobe(): boolean {
  try {
    execFileSync('ffprobe', ['-version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}
const FFPROBE = hasFfprobe();
if (!FFPROBE) console.warn('ffprobe not found: the comparisons with ffprobe are skipped (apt-get install -y ffmpeg)');

interface FfprobeStream {
  codec_type: string;
  codec_name: string;
  width?: number;
  height?: number;
  r_frame_rate: string;
  channels?: number;
  sample_rate?: string;
  side_data_list?: { rotation?: number }[];
}
interface FfprobeOutput {
  streams: FfprobeStream[];
  format: { format_name: string; duration: string; bit_rate: string; size: string };
}

function ffprobe(name: string): FfprobeOutput {
  const out = execFileSync('ffprobe', ['-v', 'error', '-show_streams', '-show_format', '-of', 'json', new URL(name, FIXTURES).pathname], { encoding: 'utf8' });
  return JSON.parse(out) as FfprobeOutput;
}

const rational = (text: string) => {
  const [num, den] = text.split('/').map(Number);
  return num! / den!;
};

async function expectVideoError(promise: Promise<unknown>, code: string): Promise<VideoError> {
  const error = await promise.then(
    () => null,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(VideoError);
  expect((error as VideoError).code).toBe(code);
  return error as VideoError;
}

describe('probe against ffprobe', () => {
  it.skipIf(!FFPROBE).each(FIXTURE_NAMES)('%s matches ffprobe', async (name) => {
    const bytes = fixture(name);
    const probe = await probeVideo(bytesReader(bytes));
    const reference = ffprobe(name);
    const video = reference.streams.find((stream) => stream.codec_type === 'video')!;
    const audio = reference.streams.find((stream) => stream.codec_type === 'audio');

    // Container: ffprobe names the family (mov,mp4,… / matroska,webm); the probe tells them apart.
    expect(reference.format.format_name.split(',')).toContain(probe.container === 'webm' ? 'webm' : probe.container === 'matroska' ? 'matroska' : probe.container);
    // Duration: within 10 ms (Matroska rounds to its 1 ms timestamp scale; ffprobe may add the last frame).
    expect(Math.abs(probe.durationSeconds - Number(reference.format.duration))).toBeLessThanOrEqual(0.01);
    // Overall bitrate: ffprobe's is size × 8 / its duration: within 1%.
    expect(Math.abs(probe.bitrate! - Number(reference.format.bit_rate)) / Number(reference.format.bit_rate)).toBeLessThan(0.01);
    expect(probe.sizeBytes).toBe(Number(reference.format.size));

    // Video: codec, coded size exactly; frame rate within 0.1% of ffprobe's r_frame_rate.
    expect(probe.video!.codec).toBe(video.codec_name);
    expect(probe.video!.codedWidth).toBe(video.width);
    expect(probe.video!.codedHeight).toBe(video.height);
    expect(Math.abs(probe.video!.frameRate! - rational(video.r_frame_rate)) / rational(video.r_frame_rate)).toBeLessThan(0.001);
    // Rotation: ffprobe's display matrix angle is counter-clockwise; the probe's is clockwise.
    const ccw = video.side_data_list?.find((side) => side.rotation !== undefined)?.rotation ?? 0;
    expect(probe.video!.rotation).toBe((((360 - ccw) % 360) + 360) % 360);
    const turned = probe.video!.rotation % 180 === 90;
    expect([probe.video!.displayWidth, probe.video!.displayHeight]).toEqual(turned ? [video.height, video.width] : [video.width, video.height]);

    // Audio: codec, channels and rate exactly.
    if (audio) {
      expect(probe.audio).toMatchObject({ codec: audio.codec_name, channels: audio.channels, sampleRate: Number(audio.sample_rate) });
    } else {
      expect(probe.audio).toBeNull();
    }
  });
});

describe('probe', () => {
  it('reads what the fixtures are', async () => {
    const expected: Record<string, Partial<VideoProbe>> = {
      'h264-aac.mp4': { container: 'mp4', videoTracks: 1, audioTracks: 1 },
      'rotated-90.mov': { container: 'mov' },
      'vp9-opus.webm': { container: 'webm' },
      'h264-aac.mkv': { container: 'matroska' },
    };
    for (const [name, fields] of Object.entries(expected)) expect(await probeVideo(bytesReader(fixture(name)))).toMatchObject(fields);
    const rotated = await probeVideo(bytesReader(fixture('rotated-90.mov')));
    expect(rotated.video).toMatchObject({ rotation: 270, codedWidth: 160, codedHeight: 120, displayWidth: 120, displayHeight: 160, frameRate: 30 });
    expect((await probeVideo(bytesReader(fixture('h264-aac.mkv')))).video!.frameRate).toBe(29.97);
  });

  it('reads kilobytes, not the file: an MP4 with its moov first, padded to 1 GiB', async () => {
    const bytes = fixture('h264-aac.mp4');
    // The fixture's boxes, then a free box filling the rest of 1 GiB: bytes past the fixture are never read.
    const size = 1024 ** 3;
    const padded: RangeReader = {
      size,
      async read(start, end) {
        const out = new Uint8Array(end - start);
        const header = new Uint8Array([...u32(size - bytes.length), ...'free'.split('').map((c) => c.charCodeAt(0))]);
        for (let at = start; at < end; at++) out[at - start] = at < bytes.length ? bytes[at]! : at < bytes.length + 8 ? header[at - bytes.length]! : 0;
        return out;
      },
    };
    const probe = await probeVideo(padded);
    expect(probe.sizeBytes).toBe(size);
    expect(probe.video!.codec).toBe('h264');
    expect(probe.bytesRead).toBeLessThan(8 * 1024);
    expect(probe.reads).toBeLessThan(12);
  });

  it('reads a moov-last MOV through 64 KiB blocks with a few fetches', async () => {
    const bytes = fixture('rotated-90.mov');
    let fetches = 0;
    const reader = blockReader(bytes.length, async (start, end) => {
      fetches++;
      return bytes.slice(start, end);
    });
    expect((await probeVideo(reader)).video!.rotation).toBe(270);
    expect(fetches).toBeLessThanOrEqual(2);
  });

  it('snaps measured frame rates to the nearest standard one within 0.05%', () => {
    expect(snapFrameRate(29.9645)).toBe(29.97);
    expect(snapFrameRate(24.004)).toBe(24);
    expect(snapFrameRate(12.5)).toBe(12.5);
    expect(snapFrameRate(30.02)).toBe(30.02);
    expect(snapFrameRate(0)).toBeNull();
  });
});

const u32 = (value: number) => [(value >>> 24) & 0xff, (value >>> 16) & 0xff, (value >>> 8) & 0xff, value & 0xff];
const patch = (bytes: Uint8Array, at: number, values: number[]) => {
  const copy = bytes.slice();
  copy.set(values, at);
  return copy;
};
const indexOf = (bytes: Uint8Array, text: string) => Buffer.from(bytes).indexOf(text);

describe('probe of broken files', () => {
  const mp4 = fixture('h264-aac.mp4');
  const mov = fixture('rotated-90.mov');
  const webm = fixture('vp8-opus.webm');

  it('zero bytes → corrupt_video', async () => {
    const error = await expectVideoError(probeVideo(bytesReader(new Uint8Array(0))), 'corrupt_video');
    expect(error.message).toMatch(/empty/);
  });

  it('not a video → unsupported_format', async () => {
    await expectVideoError(probeVideo(bytesReader(new TextEncoder().encode('just some text, long enough to look at'.repeat(20)))), 'unsupported_format');
    const png = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, ...new Array(200).fill(0)]);
    await expectVideoError(probeVideo(bytesReader(png)), 'unsupported_format');
  });

  it('truncated MP4 (the upload stopped in mdat) → corrupt_video naming the box', async () => {
    const error = await expectVideoError(probeVideo(bytesReader(mp4.subarray(0, mp4.length - 5000))), 'corrupt_video');
    expect(error.message).toMatch(/'mdat'.*past the end/);
  });

  it('MOV cut before its moov → corrupt_video', async () => {
    await expectVideoError(probeVideo(bytesReader(mov.subarray(0, mov.length - 3000))), 'corrupt_video');
    await expectVideoError(probeVideo(bytesReader(mp4.subarray(0, 40))), 'corrupt_video');
  });

  it('a moov box whose size runs past the end → corrupt_video', async () => {
    const moov = indexOf(mp4, 'moov') - 4;
    await expectVideoError(probeVideo(bytesReader(patch(mp4, moov, u32(0x7fffffff)))), 'corrupt_video');
  });

  it('an mdat declaring 10 GB in a 36 KB file → corrupt_video, a few reads', async () => {
    const mdat = indexOf(mov, 'mdat') - 4;
    // A 64-bit size needs 8 more header bytes: the box is rewritten as size=1 + 'mdat' + 10 GB over the first payload bytes.
    const tenGb = 10 * 1000 ** 3;
    const lying = patch(mov, mdat, [...u32(1), 0x6d, 0x64, 0x61, 0x74, ...u32(Math.floor(tenGb / 2 ** 32)), ...u32(tenGb % 2 ** 32)]);
    const error = await expectVideoError(probeVideo(bytesReader(lying)), 'corrupt_video');
    expect(error.message).toMatch(/10000000000 bytes/);
  });

  it('a WebM Segment declaring 10 GiB → corrupt_video', async () => {
    const segment = Buffer.from(webm).indexOf(Buffer.from([0x18, 0x53, 0x80, 0x67]));
    const lying = patch(webm, segment + 4, [0x01, 0x00, 0x00, 0x02, 0x80, 0x00, 0x00, 0x00]);
    await expectVideoError(probeVideo(bytesReader(lying)), 'corrupt_video');
  });

  it('scrambled WebM clusters and a lying sample table → corrupt_video, never a crash', async () => {
    const scrambled = webm.slice();
    for (let at = 200; at < scrambled.length; at += 37) scrambled[at]! ^= 0x5a;
    await expectVideoError(probeVideo(bytesReader(scrambled)), 'corrupt_video');
    const stsz = indexOf(mp4, 'stsz');
    await expectVideoError(probeVideo(bytesReader(patch(mp4, stsz + 12, u32(0x10000000)))), 'corrupt_video');
  });

  it('a truncated Matroska header → corrupt_video', async () => {
    await expectVideoError(probeVideo(bytesReader(fixture('h264-aac.mkv').subarray(0, 300))), 'corrupt_video');
  });

  it('bounds reads: a file of many tiny boxes stops the walk; a budget stops a probe', async () => {
    // 10,000 empty 'free' boxes and no moov: the walk checks the first MAX_TOP_LEVEL_BOXES only.
    const boxes = new Uint8Array(8 * 10_000);
    for (let at = 0; at < boxes.length; at += 8) boxes.set([...u32(8), 0x66, 0x72, 0x65, 0x65], at);
    const counted = { reads: 0 };
    const reader: RangeReader = { size: boxes.length, read: async (start, end) => (counted.reads++, boxes.subarray(start, end)) };
    await expect(probeVideo(reader)).rejects.toBeInstanceOf(VideoError);
    expect(counted.reads).toBeLessThan(MAX_TOP_LEVEL_BOXES + 50);
    await expectVideoError(probeVideo(bytesReader(mov), { maxBytes: 1000 }), 'probe_limit_exceeded');
    let clock = 0;
    await expectVideoError(probeVideo(bytesReader(mp4), { maxMilliseconds: 5, now: () => (clock += 10) }), 'probe_limit_exceeded');
  });
});

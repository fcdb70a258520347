// Test support (Node only, never bundled): the independent tools the unit tests compare against —
// ffmpeg/ffprobe and sox/soxi from Debian's packages — and fixtures made by them.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const has = (tool: string) => spawnSync(tool, ['--version'], { stdio: 'ignore' }).status === 0 || spawnSync(tool, ['-version'], { stdio: 'ignore' }).status === 0;

export const hasFfmpeg = has('ffmpeg') && has('ffprobe');
export const hasSox = spawnSync('sox', ['--version'], { stdio: 'ignore' }).status === 0;
export const missingToolsMessage = (tool: string) => `${tool} is not installed (apt-get install -y ffmpeg sox): comparison against it skipped`;

let workDir: string | undefined;
export function scratchPath(name: string): string {
  workDir ??= mkdtempSync(join(tmpdir(), 'audio-ref-'));
  return join(workDir, name);
}
export function removeScratch(): void {
  if (workDir) rmSync(workDir, { recursive: true, force: true });
  workDir = undefined;
}

/** Runs ffmpeg (quiet) with `args`, writing `output`; returns the output file's bytes. */
export function ffmpeg(args: string[], output: string): Uint8Array {
  execFileSync('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-y', ...args, output], { stdio: ['ignore', 'ignore', 'pipe'] });
  return new Uint8Array(readFileSync(output));
}

export function sox(args: string[]): void {
  execFileSync('sox', args, { stdio: ['ignore', 'ignore', 'pipe'] });
}

/** `soxi -D`: duration in seconds as sox computes it. */
export function soxDuration(path: string): number {
  return Number(execFileSync('soxi', ['-D', path]).toString().trim());
}

export function ffprobe(path: string): { format: { duration: string; bit_rate?: string; tags?: Record<string, string> }; streams: { codec_name: string; sample_rate?: string; channels?: number; duration?: string; duration_ts?: number }[] } {
  return JSON.parse(execFileSync('ffprobe', ['-v', 'error', '-print_format', 'json', '-show_format', '-show_streams', path]).toString());
}

/** ffmpeg's ebur128 filter: integrated loudness (LUFS) and sample peak (dBFS) of a file. */
export function ffmpegLoudness(path: string): { integrated: number; samplePeakDbfs: number } {
  const result = spawnSync('ffmpeg', ['-hide_banner', '-nostats', '-i', path, '-af', 'ebur128=peak=sample', '-f', 'null', '-'], { encoding: 'utf8' });
  const summary = result.stderr.slice(result.stderr.lastIndexOf('Summary:'));
  const integrated = Number(/I:\s+(-?[\d.]+|-inf) LUFS/.exec(summary)?.[1]);
  const peak = /Sample peak:\s+Peak:\s+(-?[\d.]+|-inf) dBFS/.exec(summary)?.[1];
  return { integrated, samplePeakDbfs: Number(peak) };
}

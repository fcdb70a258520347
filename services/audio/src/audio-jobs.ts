// The worker's job handlers: each reads its inputs from storage as the job's owner (ranged reads),
// does the work in chunks, heartbeats its progress, and writes results as new storage files owned
// by the same user. Errors no retry can fix (broken audio, a missing input) carry a code and fail
// the job at once; anything else (storage briefly away) is retried by the kit with back-off.
import { ChapterContent, type StoredFile } from '@authorworks/domain';
import { job, JobContinues, type JobContext } from '@authorworks/kit';
import { z } from 'zod';
import { planAssemble } from './assemble.ts';
import { JobFailure } from './job-failure.ts';
import { AssemblePayload, NarratePayload, NormalisePayload, ProbePayload, TrimPayload, WaveformPayload } from './job-kinds.ts';
import { narrate, speechText, type TtsProvider } from './narrate.ts';
import { gainOutput, planNormalise } from './normalise.ts';
import { computeWaveform, waveformDat } from './peaks.ts';
import { probeAudio } from './probe.ts';
import { PartsProgress, writeNextParts } from './result-parts.ts';
import {
  completeResultUpload,
  createResultUpload,
  DIRECT_RESULT_BYTES,
  openStorageFile,
  storagePartTarget,
  streamOutput,
  uploadResult,
  type CallStorage,
} from './storage-files.ts';
import { trimFrames, trimOutput } from './trim.ts';
import type { WavOutput } from './wav-output.ts';
import { parseWav } from './wav.ts';

/** Thrown when a heartbeat says the job was cancelled or taken over: stop, write nothing more. */
class JobStopped extends Error {}

/** Heartbeats at most this often while working (the lease is 120 s). */
const HEARTBEAT_EVERY_MS = 2000;
const DEFAULT_MAX_INPUT_BYTES = 2 * 1024 * 1024 * 1024;

/**
 * A result larger than DIRECT_RESULT_BYTES is written in steps of at most this many bytes
 * (`result_step_bytes`; by default four 8 MiB parts), each step a message of its own: the engine
 * does not reliably free memory within a message, so the worker's memory is bounded by a step,
 * not by the length of the book.
 */
export const RESULT_STEP_BYTES = { default: 32 * 1024 * 1024, min: 1024 * 1024, max: 256 * 1024 * 1024 };
/** The steps of one result may take this long in all (a multi-hour book through a busy storage). */
const RESULT_DEADLINE_SECONDS = 6 * 3600;

/**
 * What a job keeps between its steps, inside its stored progress (`steps`), beside the phase and
 * percent its owner sees: the versions of the inputs it read (a new version between steps would
 * mix two recordings), what the handler measured once (`memo`: a normalisation's gain), and the
 * result's multipart upload with the parts written so far.
 */
const StepState = z.object({
  inputs: z.record(z.string(), z.number().int()).default({}),
  memo: z.unknown().optional(),
  result: PartsProgress.optional(),
});
type StepState = z.output<typeof StepState>;

interface Tools {
  /** GET a JSON resource of another service as the job's owner (404 → input_not_found). */
  getAsOwner(url: string): Promise<unknown>;
  open(fileId: string): ReturnType<typeof openStorageFile>;
  /**
   * Writes the result as a new file of the owner's: one streamed `POST /files` up to
   * DIRECT_RESULT_BYTES, above it a multipart upload written RESULT_STEP_BYTES per job step — this
   * throws `JobContinues` until the last step, which completes the upload and returns the file.
   */
  upload(filename: string, output: WavOutput): Promise<StoredFile>;
  /** One streamed `POST /files` (small results that are not re-made in each step: JSON, narration). */
  uploadDirect(filename: string, output: WavOutput): ReturnType<typeof uploadResult>;
  uploadBytes(filename: string, bytes: Uint8Array): ReturnType<typeof uploadResult>;
  /** What an earlier step of this job remembered (`remember`), or undefined. */
  recall(): unknown;
  /** Keeps `memo` for the job's next steps (what is costly to work out again, like a measured gain). */
  remember(memo: unknown): void;
  /** Reports progress (0–1 within `phase`), heartbeating when due; throws JobStopped when cancelled. */
  progress(phase: string, fraction: number): Promise<void>;
}

function toolsFor(ctx: JobContext): Tools {
  const base = ctx.config.optional('storage_url', 'http://storage-api.spin.internal').replace(/\/+$/, '');
  const maxInput = Number(ctx.config.optional('audio_max_input_bytes', String(DEFAULT_MAX_INPUT_BYTES)));
  const call: CallStorage = (url, init) => ctx.callServiceAs(url, init);
  const stored = StepState.safeParse((ctx.job.progress as { steps?: unknown } | null)?.steps ?? {});
  const steps: StepState = stored.success ? stored.data : { inputs: {} };
  // Every heartbeat stores the steps too, so a step cut short by a crash resumes from the last one.
  const report = (phase: string, fraction: number) => ({ phase, percent: Math.round(Math.min(1, Math.max(0, fraction)) * 100), steps });
  let last = Date.now();
  const progress = async (phase: string, fraction: number) => {
    if (Date.now() - last < HEARTBEAT_EVERY_MS) return;
    last = Date.now();
    if (!(await ctx.heartbeat(report(phase, fraction)))) throw new JobStopped();
  };
  return {
    async getAsOwner(url) {
      const response = await ctx.callServiceAs(url);
      if (response.status === 404) throw new JobFailure('input_not_found', `${new URL(url).pathname} does not exist or the job's owner may not read it`);
      if (!response.ok) throw new Error(`${new URL(url).pathname} answered ${response.status}`);
      return response.json();
    },
    async open(fileId) {
      const input = await openStorageFile(call, base, fileId, maxInput);
      const seen = steps.inputs[fileId];
      if (seen !== undefined && seen !== input.file.version) {
        throw new JobFailure('input_changed', `file ${fileId} got a new version (${input.file.version}) after this job started on version ${seen}`);
      }
      steps.inputs[fileId] = input.file.version;
      return input;
    },
    async upload(filename, output) {
      if (output.size <= DIRECT_RESULT_BYTES) return this.uploadDirect(filename, output);
      if (!steps.result) {
        steps.result = { upload: await createResultUpload(call, base, filename, output.size), parts: [] };
        // Stored at once: a crash before the first part must not make a second upload.
        if (!(await ctx.heartbeat(report('upload', 0)))) throw new JobStopped();
      }
      const step = await writeNextParts(output, steps.result, storagePartTarget(call, base), {
        stepBytes: Math.min(Math.max(Number(ctx.config.optional('result_step_bytes', String(RESULT_STEP_BYTES.default))) || RESULT_STEP_BYTES.default, RESULT_STEP_BYTES.min), RESULT_STEP_BYTES.max),
        onProgress: (fraction) => progress('upload', fraction),
      });
      steps.result = step.progress;
      const { parts, upload } = step.progress;
      if (!step.done) {
        throw new JobContinues(`${parts.length} of ${upload.partCount} parts of the result written`, {
          progress: report('upload', parts.length / upload.partCount),
          deadlineSeconds: RESULT_DEADLINE_SECONDS,
        });
      }
      return completeResultUpload(call, base, step.progress);
    },
    uploadDirect: (filename, output) => uploadResult(call, base, filename, { size: output.size, stream: streamOutput(output, (fraction) => progress('upload', fraction)) }),
    uploadBytes: (filename, bytes) => uploadResult(call, base, filename, { size: bytes.length, stream: bytes }),
    recall: () => steps.memo,
    remember(memo) {
      steps.memo = memo;
    },
    progress,
  };
}

function audioJob<Schema extends z.ZodType>(schema: Schema, run: (payload: z.output<Schema>, tools: Tools, ctx: JobContext) => Promise<unknown>) {
  return job(schema, async (payload, ctx) => {
    try {
      return await run(payload, toolsFor(ctx), ctx);
    } catch (error) {
      if (error instanceof JobStopped) {
        ctx.log.info('job stopped: cancelled or taken over');
        return null;
      }
      // Broken or missing input (JobFailure, AudioError) carries `permanent: true`: the kit fails
      // the job now (state failed, job.failed) instead of backing off to fail the same way again.
      throw error;
    }
  });
}

/** What normalise and trim remember between the steps of a long result. */
const NormaliseMemo = z.object({
  gainDb: z.number(),
  limitedByCeiling: z.boolean(),
  measured: z.object({ integratedLufs: z.number().nullable(), samplePeakDbfs: z.number().nullable() }).passthrough(),
});
const TrimMemo = z.object({ startFrame: z.number().int().min(0), endFrame: z.number().int().min(1) });

const stem = (filename: string) => filename.replace(/\.[^.]*$/, '').slice(0, 100) || 'audio';

export const audioJobHandlers = {
  probe: audioJob(ProbePayload, async (payload, tools) => {
    const input = await tools.open(payload.fileId);
    return { fileId: payload.fileId, probe: await probeAudio(input) };
  }),

  waveform: audioJob(WaveformPayload, async (payload, tools) => {
    const input = await tools.open(payload.fileId);
    const wav = await parseWav(input);
    const waveform = await computeWaveform(input, wav, payload.buckets, (done) => tools.progress('peaks', done / wav.frames));
    const name = stem(input.file.filename);
    const json = await tools.uploadBytes(`${name}.waveform.json`, new TextEncoder().encode(JSON.stringify(waveform)));
    const dat = payload.dat ? await tools.uploadBytes(`${name}.dat`, waveformDat(waveform)) : null;
    return {
      fileId: payload.fileId,
      waveformFileId: json.id,
      datFileId: dat?.id ?? null,
      buckets: waveform.buckets,
      samplesPerBucket: waveform.samplesPerBucket,
      durationSeconds: wav.durationSeconds,
    };
  }),

  normalise: audioJob(NormalisePayload, async (payload, tools) => {
    const input = await tools.open(payload.fileId);
    const wav = await parseWav(input);
    // Measured once: the steps that write a long result use the gain the first one found.
    const measured = NormaliseMemo.safeParse(tools.recall());
    const plan = measured.success
      ? { ...measured.data, output: gainOutput(input, wav, measured.data.gainDb) }
      : await planNormalise(input, wav, payload.target, (fraction) => tools.progress('measure', fraction));
    tools.remember({ gainDb: plan.gainDb, limitedByCeiling: plan.limitedByCeiling, measured: plan.measured });
    const output = await tools.upload(payload.outputFilename ?? `${stem(input.file.filename)}.normalised.wav`, plan.output);
    return {
      fileId: payload.fileId,
      outputFileId: output.id,
      gainDb: round(plan.gainDb, 3),
      limitedByCeiling: plan.limitedByCeiling,
      measured: {
        integratedLufs: plan.measured.integratedLufs === null ? null : round(plan.measured.integratedLufs, 2),
        samplePeakDbfs: plan.measured.samplePeakDbfs === null ? null : round(plan.measured.samplePeakDbfs, 2),
      },
      durationSeconds: wav.durationSeconds,
    };
  }),

  trim: audioJob(TrimPayload, async (payload, tools) => {
    const input = await tools.open(payload.fileId);
    const wav = await parseWav(input);
    // The cut is found once (a silence scan reads the whole range); later steps write from it.
    const cut = TrimMemo.safeParse(tools.recall());
    const frames = cut.success ? cut.data : await trimFrames(input, wav, payload, (fraction) => tools.progress('silence', fraction));
    tools.remember(frames);
    const plan = trimOutput(input, wav, frames.startFrame, frames.endFrame);
    const output = await tools.upload(payload.outputFilename ?? `${stem(input.file.filename)}.trimmed.wav`, plan.output);
    return { fileId: payload.fileId, outputFileId: output.id, startSeconds: plan.startSeconds, durationSeconds: plan.durationSeconds };
  }),

  assemble: audioJob(AssemblePayload, async (payload, tools) => {
    const inputs = [];
    for (const chapter of payload.chapters) {
      const source = await tools.open(chapter.fileId);
      inputs.push({ title: chapter.title, source, wav: await parseWav(source) });
    }
    const plan = planAssemble(inputs, { gapSeconds: payload.gapSeconds });
    const output = await tools.upload(payload.outputFilename ?? 'audiobook.wav', plan.output);
    return {
      outputFileId: output.id,
      durationSeconds: plan.durationSeconds,
      chapters: plan.chapters.map((chapter, index) => ({ ...chapter, fileId: payload.chapters[index]!.fileId })),
    };
  }),

  narrate: audioJob(NarratePayload, async (payload, tools, ctx) => {
    const provider = ttsProvider(ctx.config);
    if (!provider) throw new JobFailure('tts_provider_not_configured', 'no text-to-speech server is configured (set audio_tts_url to an OpenAI-compatible speech API)');
    const contentBase = ctx.config.optional('content_url', 'http://content-api.spin.internal').replace(/\/+$/, '');
    const chapter = ChapterContent.parse(await tools.getAsOwner(`${contentBase}/v1/content/chapters/${payload.chapterId}/content`));
    const narration = await narrate((url, init) => fetch(url, init), provider, speechText(chapter.content, chapter.format), {
      ...(payload.voice ? { voice: payload.voice } : {}),
      onSegment: (done, total) => tools.progress('speech', done / total),
    });
    // Spoken once, held in memory (MAX_SEGMENTS bounds it): one POST /files, never steps that would speak again.
    const output = await tools.uploadDirect(payload.outputFilename ?? `chapter-${payload.chapterId.slice(0, 8)}.narration.wav`, narration.output);
    return { chapterId: payload.chapterId, chapterVersion: chapter.version, outputFileId: output.id, segments: narration.segments, characters: narration.characters, durationSeconds: narration.durationSeconds };
  }),
};

/** The TTS server from the worker's variables; null when none is configured. */
export function ttsProvider(config: JobContext['config']): TtsProvider | null {
  const url = config.optional('tts_url', '').trim();
  if (!url) return null;
  const apiKey = config.optional('tts_api_key', '');
  return { url, model: config.optional('tts_model', 'tts-1'), voice: config.optional('tts_voice', 'af_heart'), ...(apiKey ? { apiKey } : {}) };
}

function round(value: number, digits: number): number {
  const scale = 10 ** digits;
  return Math.round(value * scale) / scale;
}

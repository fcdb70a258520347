// The audio job kinds and their payloads: one zod schema each, used by `POST /jobs` (400 on a
// payload it refuses) and by the worker (a stored payload that no longer matches fails the job).
// Every number a client sends is bounded here.
import { Channel, Id } from '@authorworks/domain';
import { unstorableText } from '@authorworks/kit';
import { z } from 'zod';
import { MAX_BUCKETS } from './peaks.ts';

export const AUDIO_QUEUE = { queue: Channel.audioJobs, eventsChannel: Channel.mediaEvents } as const;
/** Attempts, lease and back-off of every audio job: a lease outlives two heartbeats many times over. */
export const AUDIO_JOB_OPTIONS = { maxAttempts: 3, leaseSeconds: 120, backoffSeconds: 5 } as const;

export const MAX_CHAPTERS = 200;
const Seconds = z.number().min(0).max(24 * 3600);
/** Filenames of results: one safe segment; storage reduces it again. */
const OutputName = z
  .string()
  .min(1)
  .max(120)
  .regex(/^[\w][\w .()-]*$/, 'letters, digits, spaces, . _ ( ) - only')
  .optional();
/** Text that may reach SQL and a WAV label: no control characters or lone surrogates. */
const Title = z
  .string()
  .trim()
  .min(1)
  .max(200)
  .refine((text) => !/[\u0000-\u001f\u007f]/.test(text) && unstorableText(text) === undefined, 'no control characters or lone surrogates');

export const ProbePayload = z.object({ fileId: Id }).strict();

export const WaveformPayload = z
  .object({
    fileId: Id,
    buckets: z.number().int().min(1).max(MAX_BUCKETS).default(1000),
    /** Also write audiowaveform's binary .dat beside the JSON. */
    dat: z.boolean().default(false),
  })
  .strict();

export const NormalisePayload = z
  .object({
    fileId: Id,
    target: z.discriminatedUnion('mode', [
      z.object({ mode: z.literal('peak'), peakDbfs: z.number().min(-60).max(0).default(-1) }).strict(),
      z
        .object({
          mode: z.literal('loudness'),
          /** EBU R128 broadcast is −23; ACX audiobooks ask for −18 to −23 RMS; podcasts −16. */
          lufs: z.number().min(-60).max(-5).default(-18),
          ceilingDbfs: z.number().min(-20).max(0).default(-1),
        })
        .strict(),
    ]),
    outputFilename: OutputName,
  })
  .strict();

export const TrimPayload = z
  .object({
    fileId: Id,
    startSeconds: Seconds.optional(),
    endSeconds: Seconds.optional(),
    silence: z
      .object({
        thresholdDbfs: z.number().min(-96).max(-10).default(-50),
        paddingSeconds: z.number().min(0).max(5).default(0.25),
      })
      .strict()
      .optional(),
    outputFilename: OutputName,
  })
  .strict()
  .refine((payload) => payload.startSeconds !== undefined || payload.endSeconds !== undefined || payload.silence !== undefined, 'Send startSeconds, endSeconds or silence')
  .refine((payload) => payload.startSeconds === undefined || payload.endSeconds === undefined || payload.endSeconds > payload.startSeconds, 'endSeconds must be after startSeconds');

export const AssemblePayload = z
  .object({
    chapters: z
      .array(z.object({ fileId: Id, title: Title }).strict())
      .min(1)
      .max(MAX_CHAPTERS),
    gapSeconds: z.number().min(0).max(10).default(0),
    outputFilename: OutputName,
  })
  .strict();

export const NarratePayload = z
  .object({
    chapterId: Id,
    voice: z.string().regex(/^[\w.-]{1,64}$/).optional(),
    outputFilename: OutputName,
  })
  .strict();

/** `POST /jobs`: the kind, and that kind's payload beside it. */
export const CreateAudioJobRequest = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('probe'), payload: ProbePayload }).strict(),
  z.object({ kind: z.literal('waveform'), payload: WaveformPayload }).strict(),
  z.object({ kind: z.literal('normalise'), payload: NormalisePayload }).strict(),
  z.object({ kind: z.literal('trim'), payload: TrimPayload }).strict(),
  z.object({ kind: z.literal('assemble'), payload: AssemblePayload }).strict(),
  z.object({ kind: z.literal('narrate'), payload: NarratePayload }).strict(),
]);
export type CreateAudioJobRequest = z.output<typeof CreateAudioJobRequest>;

export const AUDIO_JOB_KINDS = ['probe', 'waveform', 'normalise', 'trim', 'assemble', 'narrate'] as const;

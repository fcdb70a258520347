// The job kinds and their payloads: what POST /jobs accepts (with `kind`) and what the worker's
// handlers re-validate from the jobs table.
import { Id } from '@authorworks/domain';
import { z } from 'zod';
import { PALETTE_NAMES } from './cover/palettes.ts';

export const GRAPHICS_QUEUE = 'graphics-jobs';

/** Thumbnail long edges: a fixed set, so every client asks for cacheable sizes. */
export const THUMBNAIL_SIZES = [128, 256, 512] as const;
export const ThumbnailSize = z.union(THUMBNAIL_SIZES.map((size) => z.literal(size)) as [z.ZodLiteral<128>, z.ZodLiteral<256>, z.ZodLiteral<512>]);

/** The largest output side a resize may ask for. */
export const MAX_OUTPUT_SIDE = 4096;

const Side = z.number().int().min(1).max(MAX_OUTPUT_SIDE);
const Offset = z.number().int().min(0).max(65_535);

export const ProbePayload = z.object({ fileId: Id }).strict();

export const ThumbnailPayload = z
  .object({
    fileId: Id,
    sizes: z.array(ThumbnailSize).min(1).max(THUMBNAIL_SIZES.length).refine((s) => new Set(s).size === s.length, 'sizes must differ').default([...THUMBNAIL_SIZES]),
  })
  .strict();

export const ResizePayload = z
  .object({
    fileId: Id,
    width: Side.optional(),
    height: Side.optional(),
    fit: z.enum(['contain', 'cover', 'fill']).default('contain'),
    crop: z.object({ left: Offset, top: Offset, width: z.number().int().min(1).max(65_535), height: z.number().int().min(1).max(65_535) }).strict().optional(),
    format: z.enum(['png', 'jpeg']).default('jpeg'),
    quality: z.number().int().min(1).max(100).default(85),
  })
  .strict()
  .refine((p) => p.width !== undefined || p.height !== undefined || p.crop !== undefined, { message: 'give width, height or crop', path: ['width'] });

/**
 * POST /covers and the `cover` job's payload: the book's title and genre come from the content
 * service; the subtitle and the author's name as printed are given here (content keeps no
 * display names), and optionally a picture. Bounded so that every field fits its box.
 */
export const CoverPayload = z
  .object({
    bookId: Id,
    subtitle: z.string().trim().min(1).max(160).optional(),
    author: z.string().trim().min(1).max(100).optional(),
    /** A PNG or JPEG of the caller's, drawn behind the text (cropped to fill the cover). */
    imageFileId: Id.optional(),
    /** Overrides the palette the book's genre picks. */
    palette: z.enum(PALETTE_NAMES).optional(),
    /** Makes the new PNG the book's `coverFileId` (an owner or editor of the book only). */
    setAsBookCover: z.boolean().default(false),
  })
  .strict();
export type CoverPayload = z.output<typeof CoverPayload>;

export const CreateJobRequest = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('probe'), payload: ProbePayload }).strict(),
  z.object({ kind: z.literal('thumbnail'), payload: ThumbnailPayload }).strict(),
  z.object({ kind: z.literal('resize'), payload: ResizePayload }).strict(),
]);
export type CreateJobRequest = z.output<typeof CreateJobRequest>;

/** Formats the worker reads (storage's detected content type). */
export const IMAGE_TYPES = ['image/png', 'image/jpeg'] as const;

import { z } from 'zod';
import { Id, Timestamp } from './common.ts';

/** Pub/sub channels: one per producing service plus one job channel per media service. */
export const Channel = {
  userEvents: 'user-events',
  contentEvents: 'content-events',
  storageEvents: 'storage-events',
  editorEvents: 'editor-events',
  messagingEvents: 'messaging-events',
  mediaEvents: 'media-events',
  graphicsJobs: 'graphics-jobs',
  audioJobs: 'audio-jobs',
  videoJobs: 'video-jobs',
} as const;
export type Channel = (typeof Channel)[keyof typeof Channel];

/**
 * Every message on a channel. `type` is `<entity>.<verb>` (`user.created`), `source` the producing
 * service, `subject` the id of the thing it is about, `correlationId` the request id that caused it.
 */
export const EventEnvelope = z.object({
  id: Id,
  type: z.string().regex(/^[a-z][a-z_]*(\.[a-z][a-z_]*)+$/),
  source: z.string().min(1),
  time: Timestamp,
  subject: z.string().min(1),
  data: z.unknown(),
  correlationId: z.string().min(1),
});
export type EventEnvelope<Data = unknown> = Omit<z.infer<typeof EventEnvelope>, 'data'> & { data: Data };

/** The envelope with a known `data` schema, for consumers that validate what they handle. */
export function eventOf<Data extends z.ZodType>(type: string, data: Data) {
  return EventEnvelope.extend({ type: z.literal(type), data });
}

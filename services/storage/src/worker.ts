// storage-worker: the Redis-triggered component on storage-events. It records the SHA-256 of
// versions stored without one (a raw upload streamed to object storage): on `file.uploaded` whose
// sha256 is null, and on the sweep's `file.hash_requested` for versions still without one
// (version-digests.ts). Both are idempotent by themselves (the digest is written only where it is
// still missing), so no event ids are kept; other event types are ignored, and messages that are
// not envelopes or whose data does not match are logged and dropped. After any message (the
// deployment's `platform.tick` included) it runs the service's sweep (sweep.ts: abandoned uploads,
// deleted files' objects, digests still missing) under the same once-per-interval lock as the API's
// requests, so all of it converges even while nobody uses the API.
import { FileUploadedData, StorageEventType } from '@authorworks/domain';
import { createEventPublisher, on } from '@authorworks/kit';
import { createEventConsumer } from '@authorworks/kit/spin';
import { sweepAbandoned } from './sweep.ts';
import { digestVersion, FILE_HASH_REQUESTED, FileHashRequestedData } from './version-digests.ts';

const CONSUMER = 'storage-worker';

export const inboundRedis = createEventConsumer({
  consumer: CONSUMER,
  idempotency: 'none',
  handlers: {
    [StorageEventType.fileUploaded]: on(FileUploadedData, async (event, context) => {
      if (event.data.sha256 !== null || event.data.checksum !== undefined) return;
      await digestVersion(context, event.data.id, event.data.version);
    }),
    [FILE_HASH_REQUESTED]: on(FileHashRequestedData, async (event, context) => {
      await digestVersion(context, event.data.id, event.data.version);
    }),
  },
  maintenance: {
    // The sweep keeps its own interval (`storage_sweep_every_seconds`, Redis `storage:sweep`).
    everySeconds: 1,
    run: (context) =>
      sweepAbandoned({ ...context, events: createEventPublisher({ source: CONSUMER, correlationId: `${CONSUMER}-sweep`, redis: context.redis, log: context.log }) }),
  },
});

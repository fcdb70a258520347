import { defineProject } from 'vitest/config';

// With DB_CONNECTION, REDIS_ADDRESS or MINIO_ENDPOINT the files share a server and go one at a
// time; on embedded backends each file's app has its own, and files run side by side.
const sharedBackends = Boolean(process.env.DB_CONNECTION || process.env.REDIS_ADDRESS || process.env.MINIO_ENDPOINT);

export default defineProject({
  test: {
    name: 'service-storage',
    // Component tests start the compiled component on the local runtime (transpiled once, cached).
    // Files share their worker process (docs/decisions.md, Decision 18): each file still starts
    // and closes its own app, and the compiled modules and imports are reused.
    isolate: false,
    testTimeout: 60_000,
    hookTimeout: 180_000,
    // On real servers every test app shares the one authorworks_storage database and Redis, while
    // each has its own object storage: one app's sweep would remove another's pending rows and
    // miss their objects. One file at a time keeps each test's world its own.
    fileParallelism: !sharedBackends,
    // Vitest runs unshared files one at a time only in a group of their own.
    sequence: { groupOrder: sharedBackends ? 1 : 0 },
  },
});

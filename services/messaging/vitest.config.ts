import { defineProject } from 'vitest/config';

export default defineProject({
  test: {
    name: 'service-messaging',
    // Component tests start the compiled components on the local runtime (transpiled once, cached).
    // Files share their worker process (docs/decisions.md, Decision 18): each file still starts
    // and closes its own app, and the compiled modules and imports are reused.
    isolate: false,
    testTimeout: 60_000,
    hookTimeout: 180_000,
    // One file at a time: on real servers every test app's processor hears every event, and
    // restart.test.ts needs none listening while its own is stopped.
    fileParallelism: false,
    // Vitest runs unshared files one at a time only in a group of their own.
    sequence: { groupOrder: 1 },
  },
});

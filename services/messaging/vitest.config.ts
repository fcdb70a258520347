import { defineProject } from 'vitest/config';

export default defineProject({
  test: {
    name: 'service-messaging',
    // Component tests start the compiled components on the local runtime (transpiled once, cached).
    testTimeout: 60_000,
    hookTimeout: 180_000,
    // One file at a time: on real servers every test app's processor hears every event, and
    // restart.test.ts needs none listening while its own is stopped.
    fileParallelism: false,
  },
});

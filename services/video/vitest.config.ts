import { defineProject } from 'vitest/config';

export default defineProject({
  test: {
    name: 'service-video',
    // Component tests start the compiled components on the local runtime (transpiled once, cached).
    // Files share their worker process (docs/decisions.md, Decision 18): each file still starts
    // and closes its own app, and the compiled modules and imports are reused.
    isolate: false,
    testTimeout: 60_000,
    hookTimeout: 180_000,
  },
});

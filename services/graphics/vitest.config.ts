import { defineProject } from 'vitest/config';

export default defineProject({
  test: {
    name: 'service-graphics',
    // Files share their worker process (docs/decisions.md, Decision 18): each file still starts
    // and closes its own app, and the compiled modules and imports are reused.
    isolate: false,
    // Reference comparisons call ImageMagick many times; on a loaded machine that takes seconds.
    testTimeout: 60_000,
  },
});

import { defineProject } from 'vitest/config';

export default defineProject({
  // Reference comparisons call ImageMagick many times; on a loaded machine that takes seconds.
  test: { name: 'service-graphics', testTimeout: 60_000 },
});

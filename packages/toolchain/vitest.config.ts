import { defineProject } from 'vitest/config';

export default defineProject({
  // Transpiling a component (spin-compat.test.ts) takes seconds when the cache is cold, as on CI.
  test: { name: 'toolchain', testTimeout: 120_000 },
});

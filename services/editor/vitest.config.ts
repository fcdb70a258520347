import { defineProject } from 'vitest/config';

export default defineProject({
  test: {
    name: 'service-editor',
    // Component tests start the compiled components on the local runtime (transpiled once, cached).
    testTimeout: 120_000,
    hookTimeout: 180_000,
  },
});

import { defineProject } from 'vitest/config';

export default defineProject({
  test: {
    name: 'service-platform',
    // Component tests start the compiled .wasm (the first start transpiles it).
    testTimeout: 30_000,
    hookTimeout: 120_000,
  },
});

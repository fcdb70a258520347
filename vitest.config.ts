import { defineConfig } from 'vitest/config';

// Each package and service has its own vitest.config.ts; this file only lists them.
export default defineConfig({
  test: {
    projects: ['packages/*', 'services/*', 'tests/*'],
  },
});

import { defineConfig } from 'vitest/config';

// Each package and service has its own vitest.config.ts; this file only lists them (by their
// config files, so a folder of scripts such as tests/s3-second is not taken for a project).
export default defineConfig({
  test: {
    projects: ['packages/*/vitest.config.ts', 'services/*/vitest.config.ts', 'tests/*/vitest.config.ts'],
  },
});

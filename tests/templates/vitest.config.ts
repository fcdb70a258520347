import { defineProject } from 'vitest/config';

export default defineProject({
  // A round trip compiles a real component (~15–40 s on a busy machine).
  test: { name: 'templates', testTimeout: 180_000, hookTimeout: 180_000 },
});

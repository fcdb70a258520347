import { defineProject } from 'vitest/config';

export default defineProject({
  // Component tests call the compiled .wasm; password hashing alone takes ~0.2 s per call there.
  test: { name: 'service-user', testTimeout: 60_000, hookTimeout: 120_000 },
});

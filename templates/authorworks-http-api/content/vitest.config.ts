import { defineProject } from 'vitest/config';

export default defineProject({
  // The tests start the compiled component on the local Spin runtime.
  test: { name: 'service-{{project-name | kebab_case}}', hookTimeout: 60_000 },
});

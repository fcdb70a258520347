import { readFile } from 'node:fs/promises';
import { assertSpinComponent } from '@authorworks/toolchain';
import { describe, expect, it } from 'vitest';

describe('editor components', () => {
  it('editor-api is a Wasm component exporting wasi:http/incoming-handler', async () => {
    const wasm = await readFile(new URL('../dist/editor-api.wasm', import.meta.url));
    await expect(assertSpinComponent('editor-api', wasm, 'spin-http')).resolves.toBeUndefined();
  });

  it('editor-worker is a Wasm component exporting the Redis trigger', async () => {
    const wasm = await readFile(new URL('../dist/editor-worker.wasm', import.meta.url));
    await expect(assertSpinComponent('editor-worker', wasm, 'spin-redis')).resolves.toBeUndefined();
  });
});

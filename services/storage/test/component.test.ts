import { readFile } from 'node:fs/promises';
import { assertSpinComponent } from '@authorworks/toolchain';
import { describe, expect, it } from 'vitest';

describe('storage components', () => {
  it('storage-api is a Wasm component exporting wasi:http/incoming-handler', async () => {
    const wasm = await readFile(new URL('../dist/storage-api.wasm', import.meta.url));
    await expect(assertSpinComponent('storage-api', wasm, 'spin-http')).resolves.toBeUndefined();
  });

  it('storage-worker is a Wasm component exporting the Redis trigger', async () => {
    const wasm = await readFile(new URL('../dist/storage-worker.wasm', import.meta.url));
    await expect(assertSpinComponent('storage-worker', wasm, 'spin-redis')).resolves.toBeUndefined();
  });
});

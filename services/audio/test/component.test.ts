import { readFile } from 'node:fs/promises';
import { assertSpinComponent } from '@authorworks/toolchain';
import { describe, expect, it } from 'vitest';

describe('audio-api component', () => {
  it('is a Wasm component exporting wasi:http/incoming-handler', async () => {
    const wasm = await readFile(new URL('../dist/audio-api.wasm', import.meta.url));
    await expect(assertSpinComponent('audio-api', wasm, 'spin-http')).resolves.toBeUndefined();
  });
});

import { readFile } from 'node:fs/promises';
import { assertSpinComponent } from '@authorworks/toolchain';
import { describe, expect, it } from 'vitest';

describe('editor-api component', () => {
  it('is a Wasm component exporting wasi:http/incoming-handler', async () => {
    const wasm = await readFile(new URL('../dist/editor-api.wasm', import.meta.url));
    await expect(assertSpinComponent('editor-api', wasm, 'spin-http')).resolves.toBeUndefined();
  });
});

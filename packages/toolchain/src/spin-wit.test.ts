import { readFileSync, readdirSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { WORLD_NAME, modernizeWit, prepareSpinWit } from './spin-wit.ts';

describe('prepareSpinWit', () => {
  it("assembles the installed SDK's Spin WIT, with the float names newer parsers need, and our worlds", async () => {
    const cache = await mkdtemp(join(tmpdir(), 'spin-wit-'));
    const dir = await prepareSpinWit(cache);
    expect(await prepareSpinWit(cache)).toBe(dir);
    const rdbms = readFileSync(join(dir, 'deps', 'fermyon-spin', 'rdbms-types.wit'), 'utf8');
    expect(rdbms).toContain('floating32(f32)');
    expect(rdbms).not.toMatch(/\bfloat(32|64)\b/);
    expect(readdirSync(join(dir, 'deps'))).toEqual(expect.arrayContaining(['fermyon-spin', 'spin@unversioned', 'wasi-http@0.2.3.wit']));
    const worlds = readFileSync(join(dir, 'world.wit'), 'utf8');
    expect(worlds).toContain(`world ${WORLD_NAME['spin-http']} {`);
    expect(worlds).toContain('export wasi:http/incoming-handler@0.2.3;');
    expect(worlds).toContain('export fermyon:spin/inbound-redis;');
  });

  it('renames only whole type names', () => {
    expect(modernizeWit('floating64(float64), float32x')).toBe('floating64(f64), float32x');
  });
});

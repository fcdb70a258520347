import { readFileSync, readdirSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ENGINE_WASI, WORLD_NAME, modernizeWit, prepareSpinWit, wasiAtEngineVersion } from './spin-wit.ts';

describe('prepareSpinWit', () => {
  it("assembles the installed SDK's Spin WIT, with the float names newer parsers need, and our worlds", async () => {
    const cache = await mkdtemp(join(tmpdir(), 'spin-wit-'));
    const dir = await prepareSpinWit(cache);
    expect(await prepareSpinWit(cache)).toBe(dir);
    const rdbms = readFileSync(join(dir, 'deps', 'fermyon-spin', 'rdbms-types.wit'), 'utf8');
    expect(rdbms).toContain('floating32(f32)');
    expect(rdbms).not.toMatch(/\bfloat(32|64)\b/);
    expect(readdirSync(join(dir, 'deps'))).toEqual(expect.arrayContaining(['fermyon-spin', 'spin@unversioned', 'wasi-http@0.2.10.wit', 'wasi-io@0.2.10.wit']));
    const worlds = readFileSync(join(dir, 'world.wit'), 'utf8');
    expect(worlds).toContain(`world ${WORLD_NAME['spin-http']} {`);
    expect(worlds).toContain('export wasi:http/incoming-handler@0.2.10;');
    const http = readFileSync(join(dir, 'deps', 'wasi-http@0.2.10.wit'), 'utf8');
    expect(http).toMatch(/^package wasi:http@0\.2\.10;/);
    expect(http).toContain('use wasi:io/streams@0.2.10.{input-stream, output-stream};');
    expect(http).not.toContain('0.2.12');
    expect(worlds).toContain('export fermyon:spin/inbound-redis;');
  });

  it('puts back the one gate WASI 0.2.12 lifted (exit-with-code), in cli only', () => {
    const exit = 'package wasi:cli@0.2.12;\ninterface exit {\n  exit: func(status: result);\n  exit-with-code: func(status-code: u8);\n}\n';
    expect(wasiAtEngineVersion('cli', exit)).toBe(
      'package wasi:cli@0.2.10;\ninterface exit {\n  exit: func(status: result);\n  @unstable(feature = cli-exit-with-code)\n  exit-with-code: func(status-code: u8);\n}\n',
    );
    expect(wasiAtEngineVersion('io', exit)).not.toContain('@unstable');
  });

  it("matches the WASI version the installed componentize-js engine imports and exports", () => {
    const engine = readFileSync(join(import.meta.dirname, '..', 'node_modules', '@bytecodealliance', 'componentize-js', 'lib', 'starlingmonkey_embedding.wasm')).toString('latin1');
    const versions = new Set([...engine.matchAll(/wasi:http\/incoming-handler@(0\.2\.\d+)/g)].map((m) => m[1]));
    expect([...versions]).toEqual([ENGINE_WASI]);
  });

  it('renames only whole type names', () => {
    expect(modernizeWit('floating64(float64), float32x')).toBe('floating64(f64), float32x');
  });
});

import { mkdtempSync, readFileSync, readdirSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { MAX_ENTRIES, type SpliceResult, type Splicer, installSpliceCache } from './splice-cache.mjs';
import { WORLD_NAME, prepareSpinWit } from './spin-wit.ts';

type Args = Parameters<Splicer['spliceBindings']>;

/** A splicer that answers from its arguments (so a wrong entry shows) and counts its calls. */
function fakeSplicer() {
  const calls: Args[] = [];
  const splicer: Splicer = {
    spliceBindings: (...args) => {
      calls.push(args);
      const [engine, features, , , worldName] = args;
      return {
        wasm: Uint8Array.from([...engine].reverse()),
        jsBindings: `bindings for ${worldName} with ${features.join(',')}`,
        exports: [['incoming-handler#handle', { params: ['i32'], retptr: false, retsize: 0, paramptr: false }]],
        imports: [['wasi:http/types', `[method]fields.get#${calls.length}`, 2]],
      } satisfies SpliceResult;
    },
  };
  return { splicer, calls };
}

function witFolder(): string {
  const dir = mkdtempSync(join(tmpdir(), 'splice-wit-'));
  writeFileSync(join(dir, 'world.wit'), 'package local:app;\nworld http-component {}\n');
  return dir;
}

describe('the splice cache', () => {
  it('answers a splice it has seen from the cache, and each different argument splices again', () => {
    const cacheDir = mkdtempSync(join(tmpdir(), 'splice-cache-'));
    const wit = witFolder();
    const { splicer, calls } = fakeSplicer();
    const { counts, uninstall } = installSpliceCache(splicer, { cacheDir, splicerId: 'splicer-a' });
    const args: Args = [Uint8Array.of(1, 2, 3), ['http', 'fetch-event'], undefined, wit, 'http-component', false];

    const first = splicer.spliceBindings(...args);
    const again = splicer.spliceBindings(...args);
    expect(calls).toHaveLength(1);
    expect(again).toEqual(first);
    expect([...again.wasm]).toEqual([3, 2, 1]);
    expect(counts).toEqual({ hits: 1, misses: 1 });

    // Every input that reaches the splicer is part of the entry's name.
    splicer.spliceBindings(Uint8Array.of(1, 2, 4), args[1], undefined, wit, 'http-component', false);
    splicer.spliceBindings(args[0], ['http'], undefined, wit, 'http-component', false);
    splicer.spliceBindings(args[0], args[1], 'world x {}', wit, 'http-component', false);
    splicer.spliceBindings(args[0], args[1], undefined, wit, 'redis-component', false);
    splicer.spliceBindings(args[0], args[1], undefined, wit, 'http-component', true);
    expect(calls).toHaveLength(6);
    // A WIT file changed, or one added beside it.
    writeFileSync(join(wit, 'world.wit'), 'package local:app;\nworld http-component { import x: func(); }\n');
    splicer.spliceBindings(...args);
    writeFileSync(join(wit, 'more.wit'), 'interface more {}\n');
    splicer.spliceBindings(...args);
    expect(calls).toHaveLength(8);
    splicer.spliceBindings(...args);
    expect(calls).toHaveLength(8);

    // Another splicer (another componentize-js) shares nothing.
    uninstall();
    const other = installSpliceCache(splicer, { cacheDir, splicerId: 'splicer-b' });
    splicer.spliceBindings(...args);
    expect(calls).toHaveLength(9);
    other.uninstall();
    splicer.spliceBindings(...args);
    expect(calls).toHaveLength(10);
  });

  it('splices again when an entry is damaged, and keeps the most recently used entries only', () => {
    const cacheDir = mkdtempSync(join(tmpdir(), 'splice-cache-'));
    const wit = witFolder();
    const { splicer, calls } = fakeSplicer();
    installSpliceCache(splicer, { cacheDir, splicerId: 'splicer-a' });
    const args: Args = [Uint8Array.of(9, 8), ['http'], undefined, wit, 'http-component', false];
    splicer.spliceBindings(...args);
    const [entry] = readdirSync(cacheDir);
    writeFileSync(join(cacheDir, entry as string, 'engine.wasm'), Uint8Array.of(0));
    expect([...splicer.spliceBindings(...args).wasm]).toEqual([8, 9]);
    expect(calls).toHaveLength(2);
    // Put right again by that splice.
    expect([...readFileSync(join(cacheDir, entry as string, 'engine.wasm'))]).toEqual([8, 9]);

    const old = new Date(Date.now() - 60_000);
    utimesSync(join(cacheDir, entry as string), old, old);
    for (let i = 0; i < MAX_ENTRIES; i++) splicer.spliceBindings(Uint8Array.of(i), ['http'], undefined, wit, 'http-component', false);
    const left = readdirSync(cacheDir);
    expect(left).toHaveLength(MAX_ENTRIES);
    expect(left).not.toContain(entry);
    expect(left.some((name) => name.endsWith('.partial'))).toBe(false);
  });

  it('a cache it cannot write leaves the splice as it was', () => {
    const blocked = join(mkdtempSync(join(tmpdir(), 'splice-cache-')), 'file');
    writeFileSync(blocked, 'not a folder');
    const { splicer, calls } = fakeSplicer();
    installSpliceCache(splicer, { cacheDir: blocked, splicerId: 'splicer-a' });
    const args: Args = [Uint8Array.of(5), ['http'], undefined, witFolder(), 'http-component', false];
    expect([...splicer.spliceBindings(...args).wasm]).toEqual([5]);
    expect([...splicer.spliceBindings(...args).wasm]).toEqual([5]);
    expect(calls).toHaveLength(2);
  });

  it("gives back componentize-js's own splice of the engine, byte for byte", async () => {
    const componentizeUrl = import.meta.resolve('@bytecodealliance/componentize-js');
    const { splicer } = (await import(new URL('../lib/spidermonkey-embedding-splicer.js', componentizeUrl).href)) as { splicer: Splicer };
    const { DEFAULT_FEATURES } = (await import(componentizeUrl)) as { DEFAULT_FEATURES: string[] };
    const engine = readFileSync(new URL('../lib/starlingmonkey_embedding.wasm', componentizeUrl));
    const witDir = await prepareSpinWit(mkdtempSync(join(tmpdir(), 'splice-spin-wit-')));
    const cacheDir = mkdtempSync(join(tmpdir(), 'splice-cache-'));
    const { counts, uninstall } = installSpliceCache(splicer, { cacheDir, splicerId: 'componentize-js' });
    try {
      const args: Args = [engine, DEFAULT_FEATURES, undefined, witDir, WORLD_NAME['spin-http'], false];
      const spliced = splicer.spliceBindings(...args);
      const cached = splicer.spliceBindings(...args);
      expect(counts).toEqual({ hits: 1, misses: 1 });
      expect(Buffer.from(cached.wasm).equals(Buffer.from(spliced.wasm))).toBe(true);
      expect(cached.jsBindings).toBe(spliced.jsBindings);
      expect(cached.exports).toEqual(spliced.exports);
      expect(cached.imports).toEqual(spliced.imports);
      expect(spliced.imports.length).toBeGreaterThan(10);
    } finally {
      uninstall();
    }
  }, 120_000);
});

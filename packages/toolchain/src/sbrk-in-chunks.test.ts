import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CHECKED_SPLICERS, MIN_GROW_PAGES, installSbrkInChunks, rewriteSbrk, sbrkInChunks } from './sbrk-in-chunks.mjs';

const PAGE = 65536;
const componentizeJs = join(import.meta.dirname, '..', 'node_modules', '@bytecodealliance', 'componentize-js');
const splicer = readFileSync(join(componentizeJs, 'lib', 'spidermonkey-embedding-splicer.core.wasm'));

interface Allocator {
  memory: WebAssembly.Memory;
  cabi_realloc: (old: number, oldSize: number, align: number, size: number) => number;
}

/** The splicer's core module on its own: its allocator is all these tests call (no import runs). */
async function instantiate(module: WebAssembly.Module): Promise<Allocator> {
  const imports: WebAssembly.Imports = {};
  for (const { module: from, name } of WebAssembly.Module.imports(module)) {
    (imports[from] ??= {})[name] = () => {
      throw new Error(`${from}.${name} called`);
    };
  }
  return (await WebAssembly.instantiate(module, imports)).exports as unknown as Allocator;
}

/** Allocations of growing sizes, as a splice makes them: the pointers, and how often the memory grew. */
function allocate(allocator: Allocator) {
  const pointers: number[] = [];
  let grows = 0;
  let size = allocator.memory.buffer.byteLength;
  for (let i = 0; i < 400; i++) {
    const bytes = 1000 + ((i * 7919) % 300_000);
    const pointer = allocator.cabi_realloc(0, 0, 8, bytes);
    pointers.push(pointer);
    // Every allocation lies inside the memory, and writing all of it is allowed.
    expect(pointer + bytes).toBeLessThanOrEqual(allocator.memory.buffer.byteLength);
    new Uint8Array(allocator.memory.buffer, pointer, bytes).fill(0xa5);
    if (allocator.memory.buffer.byteLength !== size) {
      grows++;
      size = allocator.memory.buffer.byteLength;
    }
  }
  return { pointers, grows, size };
}

describe("the splicer's sbrk in large steps", () => {
  it('recognises the installed componentize-js splicer (a new one must be checked by hand and listed)', () => {
    const rewritten = sbrkInChunks(splicer);
    expect(rewritten, 'this componentize-js ships a splicer not in CHECKED_SPLICERS: see sbrk-in-chunks.mjs').not.toBeNull();
    expect(CHECKED_SPLICERS.size).toBeGreaterThan(0);
    // Another module, even one with an sbrk, is left alone.
    const altered = Uint8Array.from(splicer);
    altered[altered.length - 1]! ^= 1;
    expect(sbrkInChunks(altered)).toBeNull();
  });

  it('hands the allocator the very same addresses, with the memory grown a few times instead of hundreds', async () => {
    const plain = allocate(await instantiate(await WebAssembly.compile(splicer)));
    const chunked = allocate(await instantiate(await WebAssembly.compile(rewriteSbrk(splicer)!)));
    // ~60 MB in 400 allocations: dlmalloc asks sbrk for what it lacks each time.
    expect(plain.grows).toBeGreaterThan(100);
    expect(chunked.grows).toBeLessThan(10);
    expect(chunked.pointers).toEqual(plain.pointers);
    // Grown ahead by at least MIN_GROW_PAGES, at most half again what was used.
    expect(chunked.size).toBeGreaterThanOrEqual(plain.size);
    expect(chunked.size).toBeLessThanOrEqual(Math.max(plain.size * 1.5, plain.size + MIN_GROW_PAGES * PAGE) + PAGE);
  });

  it('keeps wasi-libc semantics: sbrk(0) is the break, and an increment that is not whole pages traps', async () => {
    // A module whose exported `sbrk` has the splicer's shape, built from the rewrite itself.
    const { memory, sbrk } = await sbrkProbe();
    const start = sbrk(0);
    expect(start).toBe(PAGE);
    expect(sbrk(PAGE)).toBe(start);
    expect(sbrk(0)).toBe(start + PAGE);
    expect(memory.buffer.byteLength).toBe(PAGE + MIN_GROW_PAGES * PAGE);
    expect(sbrk(3 * PAGE)).toBe(start + PAGE);
    expect(sbrk(0)).toBe(start + 4 * PAGE);
    expect(memory.buffer.byteLength).toBe(PAGE + MIN_GROW_PAGES * PAGE);
    expect(() => sbrk(100)).toThrow(WebAssembly.RuntimeError);
    expect(() => sbrk(-PAGE)).toThrow(WebAssembly.RuntimeError);
    expect(sbrk(0)).toBe(start + 4 * PAGE);
    // Past what was grown ahead: the memory grows by at least what is missing.
    expect(sbrk((MIN_GROW_PAGES + 10) * PAGE)).toBe(start + 4 * PAGE);
    expect(memory.buffer.byteLength).toBeGreaterThanOrEqual(sbrk(0));
  });

  it('makes WebAssembly.compile rewrite a listed splicer once installed, and stops when uninstalled', async () => {
    const uninstall = installSbrkInChunks();
    let installed: Allocator;
    try {
      installed = await instantiate(await WebAssembly.compile(splicer));
    } finally {
      uninstall();
    }
    expect(allocate(installed).grows).toBeLessThan(10);
    expect(allocate(await instantiate(await WebAssembly.compile(splicer))).grows).toBeGreaterThan(100);
  });
});

/**
 * (module (memory (export "memory") 1) (func $sbrk (export "sbrk") (param i32) (result i32) unreachable))
 * with a name section naming function 0 `sbrk`, then rewritten: the rewrite's own body on a
 * one-page memory.
 */
async function sbrkProbe(): Promise<{ memory: WebAssembly.Memory; sbrk: (increment: number) => number }> {
  const name = [...new TextEncoder().encode('sbrk')];
  const section = (id: number, body: number[]) => [id, body.length, ...body];
  const nameSection = [4, ...new TextEncoder().encode('name'), ...section(1, [1, 0, name.length, ...name])];
  const module = Uint8Array.from([
    0, 0x61, 0x73, 0x6d, 1, 0, 0, 0,
    ...section(1, [1, 0x60, 1, 0x7f, 1, 0x7f]),
    ...section(3, [1, 0]),
    ...section(5, [1, 0, 1]),
    ...section(7, [2, 6, ...new TextEncoder().encode('memory'), 2, 0, 4, ...name, 0, 0]),
    ...section(10, [1, 3, 0, 0x00, 0x0b]),
    ...section(0, nameSection),
  ]);
  const rewritten = rewriteSbrk(module);
  expect(rewritten).not.toBeNull();
  const { instance } = await WebAssembly.instantiate(rewritten!);
  return instance.exports as unknown as { memory: WebAssembly.Memory; sbrk: (increment: number) => number };
}

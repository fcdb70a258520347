import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { MEMORY_IMPORT, MAX_REUSED_GROWTH_BYTES, type MemoryImage, MemoryPool, splitMemoryImage, storeMemoryImage } from './memory-images.ts';

// Hand-assembled modules: one page of memory, exported, with data at 16 and at 1000.
const HEADER = [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00];
const MEMORY = [0x05, 0x03, 0x01, 0x00, 0x01];
const EXPORT_MEMORY = [0x07, 0x0a, 0x01, 0x06, ...new TextEncoder().encode('memory'), 0x02, 0x00];
const DATA = [0x0b, 0x11, 0x02, 0x00, 0x41, 0x10, 0x0b, 0x03, 0x61, 0x62, 0x63, 0x00, 0x41, 0xe8, 0x07, 0x0b, 0x02, 0x78, 0x79];
const PLAIN = new Uint8Array([...HEADER, ...MEMORY, ...EXPORT_MEMORY, ...DATA]);

const memoryOf = (instance: WebAssembly.Instance) => new Uint8Array((instance.exports.memory as WebAssembly.Memory).buffer);
const imageDir = mkdtempSync(join(tmpdir(), 'memory-images-'));
/** The plain module's image, stored in a file as the runtime holds it. */
function plainImage(name = 'plain'): MemoryImage {
  return storeMemoryImage(join(imageDir, `${name}.image`), splitMemoryImage(PLAIN)!.image);
}

describe('splitMemoryImage', () => {
  it('rewrites a module to import its memory, and the image gives what instantiating the original gives', () => {
    const split = splitMemoryImage(PLAIN)!;
    expect(split.image.pages).toBe(1);
    expect(split.image.bytes.length).toBe(1002); // up to the last non-zero byte
    expect(WebAssembly.Module.imports(new WebAssembly.Module(split.module))).toEqual([{ module: MEMORY_IMPORT.module, name: MEMORY_IMPORT.name, kind: 'memory' }]);

    const original = memoryOf(new WebAssembly.Instance(new WebAssembly.Module(PLAIN)));
    const pool = new MemoryPool();
    const { memory, reused } = pool.take('m', plainImage());
    expect(reused).toBe(false);
    const rewritten = memoryOf(new WebAssembly.Instance(new WebAssembly.Module(split.module), { [MEMORY_IMPORT.module]: { [MEMORY_IMPORT.name]: memory } }));
    expect(rewritten).toEqual(original);
    expect(new TextDecoder().decode(rewritten.subarray(16, 19))).toBe('abc');
  });

  it('gives modules that differ only in their initial memory size the same rewritten bytes, and each its own image size', () => {
    const twoPages = new Uint8Array([...HEADER, 0x05, 0x03, 0x01, 0x00, 0x02, ...EXPORT_MEMORY, ...DATA]);
    const [one, two] = [splitMemoryImage(PLAIN)!, splitMemoryImage(twoPages)!];
    expect(two.module).toEqual(one.module);
    expect([one.image.pages, two.image.pages]).toEqual([1, 2]);
    // The shared module runs on either memory.
    const image = storeMemoryImage(join(imageDir, 'two.image'), two.image);
    const { memory } = new MemoryPool().take('two', image);
    const instance = new WebAssembly.Instance(new WebAssembly.Module(one.module), { [MEMORY_IMPORT.module]: { [MEMORY_IMPORT.name]: memory } });
    expect(memoryOf(instance).length).toBe(2 * 65536);
    expect(new TextDecoder().decode(memoryOf(instance).subarray(16, 19))).toBe('abc');
  });

  it("hands a finished instance's memory to the next one exactly as the image, whatever the first wrote", () => {
    const split = splitMemoryImage(PLAIN)!;
    const image = plainImage();
    const pool = new MemoryPool();
    const first = pool.take('m', image).memory;
    new Uint8Array(first.buffer).fill(0xee); // a request that scribbled everywhere
    first.grow(2); // and grew a little
    pool.give('m', image, first);
    const second = pool.take('m', image);
    expect(second.reused).toBe(true);
    expect(second.memory).toBe(first);
    const bytes = new Uint8Array(second.memory.buffer);
    const expected = new Uint8Array(bytes.length);
    expected.set(split.image.bytes);
    expect(bytes).toEqual(expected);
  });

  it("keeps a memory grown by a 1 MiB upload's ~2 MiB, reset to its image", () => {
    const image = plainImage();
    const pool = new MemoryPool();
    const memory = pool.take('m', image).memory;
    const initialBytes = memory.buffer.byteLength;
    memory.grow(32); // storage-api's growth for a 1 MiB body (Decision 17)
    new Uint8Array(memory.buffer).fill(0xee);
    expect(pool.give('m', image, memory)).toBe(0);
    const again = pool.take('m', image);
    expect(again.reused).toBe(true);
    const bytes = new Uint8Array(again.memory.buffer);
    expect(bytes.subarray(initialBytes).every((b) => b === 0)).toBe(true);
  });

  it('keeps no memory that grew past the limit', () => {
    const image = plainImage();
    const pool = new MemoryPool();
    const big = pool.take('m', image).memory;
    big.grow(MAX_REUSED_GROWTH_BYTES / 65536 + 1);
    expect(pool.give('m', image, big)).toBe(big.buffer.byteLength);
    expect(pool.take('m', image).reused).toBe(false);
  });

  it('keeps at most its byte budget, dropping the least recently used modules first', () => {
    const image = plainImage();
    const page = 65536;
    const pool = new MemoryPool({ maxBytes: 3 * page });
    const taken = new Map(['a', 'b', 'c', 'd'].map((key) => [key, pool.take(key, image).memory]));
    for (const key of ['a', 'b', 'c']) expect(pool.give(key, image, taken.get(key)!)).toBe(0);
    expect(pool.heldBytes).toBe(3 * page);
    // Over budget: 'a' was given back longest ago, and the bytes let go say so.
    expect(pool.give('d', image, taken.get('d')!)).toBe(page);
    expect(pool.heldBytes).toBe(3 * page);
    for (const key of ['b', 'c', 'd']) expect(pool.take(key, image).memory).toBe(taken.get(key));
    expect(pool.take('a', image).reused).toBe(false);
  });

  it("gives another module's memory to an instance whose own has none: grown to its size, its image, zeros beyond", () => {
    const small = storeMemoryImage(join(imageDir, 'small.image'), { pages: 1, bytes: new Uint8Array([0, 1, 2, 3]) });
    const large = storeMemoryImage(join(imageDir, 'large.image'), { pages: 3, bytes: new Uint8Array(65536 + 10).fill(7) });
    const pool = new MemoryPool();
    const memory = pool.take('small', small).memory;
    new Uint8Array(memory.buffer).fill(0xee);
    pool.give('small', small, memory);
    const grown = pool.take('large', large);
    expect(grown).toEqual({ memory, reused: true });
    const expected = new Uint8Array(3 * 65536);
    expected.fill(7, 0, 65536 + 10);
    expect(new Uint8Array(memory.buffer)).toEqual(expected);
    // And back: the larger memory serves the small module, every byte past its image zeroed.
    new Uint8Array(memory.buffer).fill(0xee);
    pool.give('large', large, memory);
    expect(pool.take('small', small)).toEqual({ memory, reused: true });
    const bytes = new Uint8Array(memory.buffer);
    expect(bytes.length).toBe(3 * 65536);
    expect([...bytes.subarray(0, 4)]).toEqual([0, 1, 2, 3]);
    expect(bytes.subarray(4).every((b) => b === 0)).toBe(true);
  });

  it("prefers a module's own memory, and takes no other larger than its size plus the growth allowed, nor of another maximum", () => {
    const page = 65536;
    const small = plainImage('small-own');
    const wide = { ...plainImage('wide'), pages: 2 + MAX_REUSED_GROWTH_BYTES / page };
    const capped = { ...plainImage('capped'), maximum: 100 };
    const pool = new MemoryPool();
    const [own, big, other] = [pool.take('small', small).memory, pool.take('wide', wide).memory, pool.take('capped', capped).memory];
    pool.give('small', small, own);
    pool.give('wide', wide, big);
    pool.give('capped', capped, other);
    expect(pool.take('small', small).memory).toBe(own);
    // Left: a memory 1 page too large for 'small', and one whose import declares a maximum.
    expect(pool.take('small', small).reused).toBe(false);
    expect(pool.take('capped', capped).memory).toBe(other);
    expect(pool.take('wide', wide).memory).toBe(big);
  });

  it('lets go of everything when cleared (an idle thread), and makes new memories afterwards', () => {
    const image = plainImage();
    const pool = new MemoryPool();
    const memory = pool.take('m', image).memory;
    pool.give('m', image, memory);
    expect(pool.clear()).toBe(65536);
    expect(pool.heldBytes).toBe(0);
    const next = pool.take('m', image);
    expect(next.reused).toBe(false);
    expect(new TextDecoder().decode(new Uint8Array(next.memory.buffer).subarray(16, 19))).toBe('abc');
  });

  it('leaves anything but the plain case alone', () => {
    // A passive data segment (flag 1), which code could name with memory.init.
    const passive = new Uint8Array([...HEADER, ...MEMORY, ...EXPORT_MEMORY, 0x0b, 0x05, 0x01, 0x01, 0x02, 0x61, 0x62]);
    expect(WebAssembly.validate(passive)).toBe(true);
    expect(splitMemoryImage(passive)).toBeNull();
    // An imported memory.
    const imported = new Uint8Array([...HEADER, 0x02, 0x0a, 0x01, 0x01, 0x65, 0x03, 0x6d, 0x65, 0x6d, 0x02, 0x00, 0x01, ...DATA]);
    expect(WebAssembly.validate(imported)).toBe(true);
    expect(splitMemoryImage(imported)).toBeNull();
    // An imported memory beside a defined one (multi-memory): the imported one would be memory 0.
    expect(splitMemoryImage(new Uint8Array([...HEADER, 0x02, 0x0a, 0x01, 0x01, 0x65, 0x03, 0x6d, 0x65, 0x6d, 0x02, 0x00, 0x01, ...MEMORY, ...DATA]))).toBeNull();
    // No data, truncated bytes, not wasm at all.
    expect(splitMemoryImage(new Uint8Array([...HEADER, ...MEMORY]))).toBeNull();
    expect(splitMemoryImage(PLAIN.subarray(0, PLAIN.length - 3))).toBeNull();
    expect(splitMemoryImage(new TextEncoder().encode('not a module'))).toBeNull();
  });
});

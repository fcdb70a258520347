// componentize-js's splicer, which turns every bundle into a component, is a Rust program built
// for WASI: its allocator (wasi-libc's dlmalloc) asks `sbrk` for memory 64 KiB at a time, and
// wasi-libc's `sbrk` answers each request with a `memory.grow` of exactly that much. In Node every
// `memory.grow` swaps the memory's ArrayBuffer for a new one and V8 accounts the old one as
// external memory until a full collection frees it: splicing one component grew the memory ~550
// times, which cost ~5.5 s in `sbrk` and ~4.3 s of garbage collection — more than half of a
// component's ~17 s compile (a CPU profile, 2026-12-04, load ~2).
//
// This module rewrites that one function, in that one module, before V8 compiles it: `sbrk` keeps
// its own break in a new global and grows the memory by at least half its size (16 MiB at least)
// whenever a request goes past its end, so a splice grows it a dozen times. What the allocator sees
// is unchanged: the same contiguous break, moved by exactly what it asked for. Pages grown ahead
// and never used are reserved, not resident. The splicer's output does not depend on its own
// memory's layout: what it splices is byte for byte the same with and without the rewrite
// (Decision 5, "The splicer's memory grown in large steps").
//
// Only modules whose SHA-256 is listed are rewritten: that `sbrk` is the only code in the module
// that reads or grows the memory was checked by hand (wasm2wat: `memory.size`/`memory.grow` occur
// in `sbrk` alone) for each listed module. A componentize-js with another splicer builds as before,
// slower, and src/sbrk-in-chunks.test.ts fails until its splicer is checked and listed.
import { createHash } from 'node:crypto';
import { ImportKind, Reader, concatBytes as concat, importKinds, s32Bytes, sectionsOf, u32Bytes } from '@authorworks/spin-local/wasm-binary';

/** SHA-256 of splicer core modules checked to touch the memory's size only in `sbrk`. */
export const CHECKED_SPLICERS = new Map([
  // componentize-js 0.23.0, lib/spidermonkey-embedding-splicer.core.wasm
  ['6190193dbfefc48afa9ff191af442e27c59741a4a2b62681b4c4943a8fa7c055', '0.23.0'],
]);

/** The least a grow asks for, in 64 KiB pages (16 MiB). */
export const MIN_GROW_PAGES = 256;

/** The index of the function the name section calls `name`, or undefined. */
function functionNamed(sections, name) {
  for (const section of sections) {
    if (section.id !== 0) continue;
    const reader = new Reader(section.body);
    if (reader.name() !== 'name') continue;
    while (reader.at < section.body.length) {
      const kind = reader.byte();
      const sub = new Reader(reader.take(reader.u32()));
      if (kind !== 1) continue;
      for (let count = sub.u32(); count > 0; count--) {
        const index = sub.u32();
        if (sub.name() === name) return index;
      }
    }
  }
  return undefined;
}

/**
 * The body of the new `sbrk(increment: i32) -> i32`, its break in global `brk` (0 until the first
 * call, which starts it at the memory's end, where wasi-libc's break always is):
 *
 *   if brk == 0: brk = memory.size << 16
 *   old = brk
 *   if increment == 0: return old
 *   if increment % 65536 != 0 or increment < 0: trap            (wasi-libc aborts)
 *   end = old + increment                                      (as i64: no wrap-around)
 *   if end > memory.size << 16:
 *     need = (end - (memory.size << 16)) >> 16                  (pages short)
 *     if memory.grow(max(need, memory.size >> 1, MIN_GROW_PAGES)) == -1:
 *       if memory.grow(need) == -1: trap                        (out of memory)
 *   brk = end
 *   return old
 *
 * wasi-libc sets errno and returns -1 when the memory cannot grow; Rust's allocator aborts on a
 * failed allocation either way, so the trap ends the splice as that would.
 */
function sbrkBody(brk) {
  const global = (op) => [op, ...u32Bytes(brk)];
  const memorySizeBytes = [0x3f, 0x00, 0xad, 0x42, 16, 0x86]; // memory.size; i64.extend_i32_u; i64.const 16; i64.shl
  const code = [
    // locals: 1 × i32 (old, index 1), 1 × i32 (need, index 2), 1 × i64 (end, index 3)
    2, 2, 0x7f, 1, 0x7e,
    ...global(0x23), 0x45, 0x04, 0x40, 0x3f, 0x00, 0x41, 16, 0x74, ...global(0x24), 0x0b,
    ...global(0x23), 0x21, 1,
    0x20, 0, 0x45, 0x04, 0x40, 0x20, 1, 0x0f, 0x0b,
    0x20, 0, 0x41, ...s32Bytes(0xffff), 0x71, 0x20, 0, 0x41, 0, 0x48, 0x72, 0x04, 0x40, 0x00, 0x0b,
    0x20, 1, 0xad, 0x20, 0, 0xad, 0x7c, 0x21, 3,
    0x20, 3, ...memorySizeBytes, 0x56, 0x04, 0x40,
    /**/ 0x20, 3, ...memorySizeBytes, 0x7d, 0x42, 16, 0x88, 0xa7, 0x21, 2,
    // max(need, memory.size >> 1), then max(that, MIN_GROW_PAGES): a b a b gt_u select
    /**/ 0x20, 2, 0x3f, 0x00, 0x41, 1, 0x76, 0x20, 2, 0x3f, 0x00, 0x41, 1, 0x76, 0x4b, 0x1b,
    /**/ 0x21, 2,
    /**/ 0x20, 2, 0x41, ...s32Bytes(MIN_GROW_PAGES), 0x20, 2, 0x41, ...s32Bytes(MIN_GROW_PAGES), 0x4b, 0x1b,
    /**/ 0x40, 0x00, 0x41, 0x7f, 0x46, 0x04, 0x40,
    // the large grow failed: exactly what is missing, recomputed (local 2 was overwritten)
    /*    */ 0x20, 3, ...memorySizeBytes, 0x7d, 0x42, 16, 0x88, 0xa7,
    /*    */ 0x40, 0x00, 0x41, 0x7f, 0x46, 0x04, 0x40, 0x00, 0x0b,
    /**/ 0x0b,
    0x0b,
    0x20, 3, 0xa7, ...global(0x24),
    0x20, 1,
    0x0b,
  ];
  return Uint8Array.from([...u32Bytes(code.length), ...code]);
}

/**
 * The module with `sbrk` rewritten (above), or null when it is not a listed splicer or has no
 * `sbrk` of the expected type.
 */
export function sbrkInChunks(bytes) {
  if (!CHECKED_SPLICERS.has(createHash('sha256').update(bytes).digest('hex'))) return null;
  return rewriteSbrk(bytes);
}

/** The rewrite itself, for any module with a named `sbrk` of type (i32) -> i32 (tests use it directly). */
export function rewriteSbrk(bytes) {
  const sections = sectionsOf(bytes);
  const sbrk = functionNamed(sections, 'sbrk');
  if (sbrk === undefined) return null;
  const importSection = sections.find((s) => s.id === 2);
  const kinds = importSection ? importKinds(importSection.body) : [];
  // Imported functions and globals come first in their index spaces.
  const imported = { functions: kinds.filter((k) => k === ImportKind.function).length, globals: kinds.filter((k) => k === ImportKind.global).length };
  if (sbrk < imported.functions) return null;

  // Its type: (i32) -> i32.
  const functionSection = sections.find((s) => s.id === 3);
  const typeSection = sections.find((s) => s.id === 1);
  const codeSection = sections.find((s) => s.id === 10);
  if (!functionSection || !typeSection || !codeSection) return null;
  const functions = new Reader(functionSection.body);
  const defined = functions.u32();
  const local = sbrk - imported.functions;
  if (local >= defined) return null;
  let typeIndex = 0;
  for (let i = 0; i <= local; i++) typeIndex = functions.u32();
  const types = new Reader(typeSection.body);
  const typeCount = types.u32();
  if (typeIndex >= typeCount) return null;
  for (let i = 0; ; i++) {
    if (types.byte() !== 0x60) return null;
    const params = types.take(types.u32());
    const results = types.take(types.u32());
    if (i === typeIndex) {
      if (params.length !== 1 || params[0] !== 0x7f || results.length !== 1 || results[0] !== 0x7f) return null;
      break;
    }
  }

  // The new global: after every imported and defined one.
  const globalSection = sections.find((s) => s.id === 6);
  let brk = imported.globals;
  let globalBody;
  const newGlobal = [0x7f, 0x01, 0x41, 0x00, 0x0b]; // (mut i32) (i32.const 0)
  if (globalSection) {
    const reader = new Reader(globalSection.body);
    const count = reader.u32();
    brk += count;
    globalBody = concat([Uint8Array.from(u32Bytes(count + 1)), globalSection.body.subarray(reader.at), Uint8Array.from(newGlobal)]);
  } else {
    globalBody = Uint8Array.from([1, ...newGlobal]);
  }

  // The code section with sbrk's body replaced; every other body kept as it is.
  const code = new Reader(codeSection.body);
  if (code.u32() !== defined) return null;
  for (let i = 0; i < local; i++) code.take(code.u32());
  const sbrkStart = code.at;
  code.take(code.u32());
  const codeBody = concat([codeSection.body.subarray(0, sbrkStart), sbrkBody(brk), codeSection.body.subarray(code.at)]);

  const parts = [bytes.subarray(0, 8)];
  const emit = (id, body) => parts.push(Uint8Array.from([id, ...u32Bytes(body.length)]), body);
  let globalsWritten = false;
  for (const section of sections) {
    // The global section (id 6) comes before export (7), start (8), element (9), code (10), data (11)
    // and data count (12); custom sections (0) may sit anywhere.
    if (!globalsWritten && section.id !== 0 && section.id > 6 && section.id !== 13) {
      if (!globalSection) emit(6, globalBody);
      globalsWritten = true;
    }
    if (section.id === 6) {
      emit(6, globalBody);
      globalsWritten = true;
    } else if (section.id === 10) emit(10, codeBody);
    else emit(section.id, section.body);
  }
  return concat(parts);
}

/**
 * From here on, in this process, WebAssembly.compile gives a listed splicer its chunked `sbrk`.
 * Used by bin/componentize.mjs, a process that only compiles one component; returns what undoes it.
 */
export function installSbrkInChunks() {
  const compile = WebAssembly.compile;
  WebAssembly.compile = (source) => {
    const bytes = ArrayBuffer.isView(source) ? new Uint8Array(source.buffer, source.byteOffset, source.byteLength) : source instanceof ArrayBuffer ? new Uint8Array(source) : null;
    return compile.call(WebAssembly, (bytes && sbrkInChunks(bytes)) ?? source);
  };
  return () => {
    WebAssembly.compile = compile;
  };
}

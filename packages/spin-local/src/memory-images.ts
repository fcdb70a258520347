/**
 * Memory images: a fresh instance per request without paying for a fresh linear memory.
 *
 * A componentize-js core module carries its pre-initialised engine as ~9 MB of active data
 * segments. V8 writes them into a newly mapped memory on every `new WebAssembly.Instance`, and
 * the page faults of that first touch cost ~45–70 ms of CPU per instance — nearly all of a
 * request's cost on this runtime. Wasmtime avoids it with copy-on-write images; here the module
 * is rewritten once so that it imports its memory (and has no data segments), and each instance
 * gets a memory that an earlier, finished instance used: overwritten with the module's initial
 * image and zeroed beyond it, it is byte for byte what instantiating the original would give,
 * at ~2–4 ms (already-mapped pages). Globals and tables are the new instance's own, as before.
 * Nothing of one request's memory survives into the next.
 *
 * A rewritten module imports a memory of at least zero pages, so the engine code of every
 * component made by one compiler version is a single module, compiled once (transpile-cache.ts).
 *
 * The images are kept in files beside the transpiled component and read into the memory on each
 * reset, so the images — 180 MB resident for the platform's fourteen components when they were
 * held in shared memory — are no longer part of the process. The read costs more than a copy from
 * a buffer would: ~1 ms for 12 MiB where first measured, but 2.9–3.1 ms for a 17 MB image against
 * 1.0 ms for `Uint8Array.set` on this project's machines, CI's kind (docs/decisions.md, Decision
 * 18, which weighs the two). Each thread keeps at most `maxBytes` of finished instances'
 * memories, the most recently used modules' first.
 *
 * Only the plain case is rewritten — one memory, defined (not imported), 32-bit, not shared, and
 * only active data segments at constant offsets inside its initial size; anything else keeps the
 * original module. A rewritten module that V8 refuses (e.g. code that names a data segment)
 * falls back to the original too.
 */
import { openSync, readSync, renameSync, writeFileSync } from 'node:fs';
import { ImportKind, Reader, type Section, concatBytes, importKinds, nameBytes, sectionsOf, u32Bytes } from './wasm-binary.mjs';

/** The initial contents of a rewritten module's memory, and the limits it must be created with. */
export interface SplitImage {
  /** Initial size, in 64 KiB pages. */
  pages: number;
  maximum?: number;
  /** The initial memory up to its last non-zero byte (the rest is zeros). */
  bytes: Uint8Array;
}

/** A split image as the runtime holds it: its bytes in a file (storeMemoryImage). */
export interface MemoryImage {
  pages: number;
  maximum?: number;
  file: string;
  /** Bytes in the file: the initial memory up to its last non-zero byte. */
  length: number;
}

/**
 * A memory that grew more than this past its initial size is not reused (4 MiB, 64 pages). A
 * 1 MiB upload grows storage-api's memory by ~1.9 MiB (the body read whole, then its copy for
 * S3): at 1 MiB every such instance's memory was dropped, so its next instance paid for a new
 * memory's page faults and the thread for a full collection sooner. Resetting the extra pages
 * costs a `fill` of zeros (0.02–0.07 ms per MiB here); a pooled memory still counts whole against the pool.
 */
export const MAX_REUSED_GROWTH_BYTES = 64 * 65536;

/** The import a rewritten module takes its memory from. */
export const MEMORY_IMPORT = { module: 'spin-local', name: 'memory' } as const;

const PAGE = 65536;

/**
 * The module rewritten to import its memory, with the image that memory must start with; null
 * when the module is not the plain case (see above).
 */
export function splitMemoryImage(module: Uint8Array): { module: Uint8Array<ArrayBuffer>; image: SplitImage } | null {
  if (module.length < 8 || module[0] !== 0 || module[1] !== 0x61 || module[2] !== 0x73 || module[3] !== 0x6d || module[4] !== 1) return null;
  let sections: Section[];
  try {
    sections = sectionsOf(module);
  } catch {
    return null;
  }
  const memorySection = sections.find((s) => s.id === 5);
  const importSection = sections.find((s) => s.id === 2);
  const dataSection = sections.find((s) => s.id === 11);
  if (!memorySection || !dataSection) return null;
  try {
    // The memory: exactly one, with flags 0 (min) or 1 (min, max) — no shared or 64-bit memory.
    const memory = new Reader(memorySection.body);
    if (memory.u32() !== 1) return null;
    const flags = memory.byte();
    if (flags !== 0 && flags !== 1) return null;
    const pages = memory.u32();
    const maximum = flags === 1 ? memory.u32() : undefined;
    if (memory.at !== memorySection.body.length) return null;
    // The import asks for at least zero pages (the memory it gets has the module's initial size):
    // the rewritten modules of components built by the same compiler then differ in nothing, and
    // one compiled module serves them all (transpile-cache.ts) — their code is the same engine,
    // only the snapshot in the data segments (now the image) and the initial size differ.
    const limits = flags === 1 ? [1, 0, ...u32Bytes(maximum as number)] : [0, 0];

    // No imported memory (it would come first in the index space).
    // (An import kind importKinds does not know throws, and the module stays as it is.)
    if (importSection && importKinds(importSection.body).includes(ImportKind.memory)) return null;

    // Active segments at constant offsets, applied in order onto zeroed pages.
    const size = pages * PAGE;
    const image = new Uint8Array(size);
    let end = 0;
    const data = new Reader(dataSection.body);
    for (let count = data.u32(); count > 0; count--) {
      if (data.u32() !== 0) return null;
      if (data.byte() !== 0x41) return null; // i32.const
      const offset = data.i32() >>> 0;
      if (data.byte() !== 0x0b) return null;
      const bytes = data.take(data.u32());
      if (offset + bytes.length > size) return null;
      image.set(bytes, offset);
      if (bytes.length > 0) end = Math.max(end, offset + bytes.length);
    }
    while (end > 0 && image[end - 1] === 0) end--;

    // Parts are views where they can be: a code section is megabytes, and copying it through a JS
    // array cost ~1 s per component at every start.
    const rebuilt: Uint8Array[] = [module.subarray(0, 8)];
    const emit = (id: number, body: Uint8Array | number[]) => {
      rebuilt.push(Uint8Array.from([id, ...u32Bytes(body.length)]));
      rebuilt.push(body instanceof Uint8Array ? body : Uint8Array.from(body));
    };
    const memoryImport = [...nameBytes(MEMORY_IMPORT.module), ...nameBytes(MEMORY_IMPORT.name), 2, ...limits];
    let imported = false;
    for (const section of sections) {
      // Sections keep their order; the import goes into the import section, made if absent
      // (it precedes the function section, id 3, and every later one).
      if (!imported && (section.id === 2 || (section.id > 2 && section.id !== 0))) {
        if (section.id === 2) {
          const reader = new Reader(section.body);
          const count = reader.u32();
          emit(2, concatBytes([Uint8Array.from(u32Bytes(count + 1)), section.body.subarray(reader.at), Uint8Array.from(memoryImport)]));
          imported = true;
          continue;
        }
        emit(2, [1, ...memoryImport]);
        imported = true;
      }
      if (section.id === 5) continue;
      if (section.id === 11 || section.id === 12) {
        emit(section.id, [0]);
        continue;
      }
      emit(section.id, section.body);
    }
    return { module: concatBytes(rebuilt), image: { pages, ...(maximum !== undefined ? { maximum } : {}), bytes: image.subarray(0, end) } };
  } catch {
    return null;
  }
}

/** Writes a split image's bytes to `file` (atomically) and returns the image as the runtime holds it. */
export function storeMemoryImage(file: string, image: SplitImage): MemoryImage {
  const staging = `${file}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
  writeFileSync(staging, image.bytes);
  renameSync(staging, file);
  return { pages: image.pages, ...(image.maximum !== undefined ? { maximum: image.maximum } : {}), file, length: image.bytes.length };
}

/** A finished instance's memory, and the maximum its module declares (an importer must declare the same). */
interface PooledMemory {
  memory: WebAssembly.Memory;
  maximum: number | undefined;
}

/**
 * A thread's default budget for finished instances' memories: two of the platform's 14–18 MB
 * ones. Since any module may take any memory (9–25 MB), 32 MiB served 1,000 mixed requests as
 * fast as 64 did, with ~40 MB less held right after them (Decision 19).
 */
export const DEFAULT_POOL_BYTES = 32 * 2 ** 20;

/**
 * Per executor thread: memories of finished instances, by module, handed to the next instance
 * after being reset to its module's image. At most `perModule` per module and `maxBytes` in all:
 * beyond that the least recently used modules' memories are dropped.
 *
 * A memory goes to the next instance of its own module first, and otherwise to any module's
 * (Decision 19): the reset overwrites every byte below the image's length and zeroes the rest, so
 * nothing of the module it came from survives, and a smaller memory is first grown to the
 * image's initial size. Under mixed traffic the next request is usually for another component
 * than the last few, so keyed by module alone the pool mostly missed (a new memory costs ~8–10 ms
 * of page faults, a reused one ~1–3 ms); shared, a smaller pool serves more instances.
 */
export class MemoryPool {
  /** Free memories by module key, least recently given back first. */
  private readonly free = new Map<string, PooledMemory[]>();
  private held = 0;
  private readonly files = new Map<string, number>();
  private readonly perModule: number;
  private readonly maxGrowthBytes: number;
  private readonly maxBytes: number;

  constructor(options: { perModule?: number; maxGrowthBytes?: number; maxBytes?: number } = {}) {
    this.perModule = options.perModule ?? 2;
    /** How far past its initial size a memory may have grown and still be reused. */
    this.maxGrowthBytes = options.maxGrowthBytes ?? MAX_REUSED_GROWTH_BYTES;
    this.maxBytes = options.maxBytes ?? DEFAULT_POOL_BYTES;
  }

  /** Bytes of memories held for reuse. */
  get heldBytes(): number {
    return this.held;
  }

  /** A memory in the module's initial state: a finished instance's, reset, or a new one. */
  take(key: string, image: MemoryImage): { memory: WebAssembly.Memory; reused: boolean } {
    const memory = this.takeFree(key, image);
    if (!memory) {
      const fresh = new WebAssembly.Memory({ initial: image.pages, ...(image.maximum !== undefined ? { maximum: image.maximum } : {}) });
      this.readImage(image, new Uint8Array(fresh.buffer));
      return { memory: fresh, reused: false };
    }
    this.held -= memory.buffer.byteLength;
    const pages = memory.buffer.byteLength / PAGE;
    if (pages < image.pages) memory.grow(image.pages - pages);
    const view = new Uint8Array(memory.buffer);
    this.readImage(image, view);
    view.fill(0, image.length);
    return { memory, reused: true };
  }

  /**
   * The module's own most recent memory, else the largest other one it may take: the same
   * maximum (the import's type), and no larger than its initial size plus the growth allowed.
   */
  private takeFree(key: string, image: MemoryImage): WebAssembly.Memory | undefined {
    const own = this.free.get(key);
    if (own && own.length > 0) return this.remove(key, own, own.length - 1);
    const limit = image.pages * PAGE + this.maxGrowthBytes;
    let best: { key: string; list: PooledMemory[]; index: number; size: number } | undefined;
    for (const [other, list] of this.free) {
      for (let index = 0; index < list.length; index++) {
        const { memory, maximum } = list[index]!;
        const size = memory.buffer.byteLength;
        if (maximum === image.maximum && size <= limit && size > (best?.size ?? 0)) best = { key: other, list, index, size };
      }
    }
    return best && this.remove(best.key, best.list, best.index);
  }

  private remove(key: string, list: PooledMemory[], index: number): WebAssembly.Memory {
    const [{ memory }] = list.splice(index, 1) as [PooledMemory];
    if (list.length === 0) this.free.delete(key);
    return memory;
  }

  private readImage(image: MemoryImage, view: Uint8Array): void {
    let fd = this.files.get(image.file);
    if (fd === undefined) {
      fd = openSync(image.file, 'r');
      this.files.set(image.file, fd);
    }
    for (let at = 0; at < image.length; ) {
      const read = readSync(fd, view, at, image.length - at, at);
      if (read === 0) throw new Error(`memory image ${image.file} is shorter than ${image.length} bytes`);
      at += read;
    }
  }

  /**
   * Takes back the memory of an instance that will never run again. A request usually grows the
   * memory by a page or two; one that grew more is dropped, so a large request's memory is not
   * kept, and an instance never starts with more than `maxGrowthBytes` of zeroed pages beyond
   * the module's initial size (which the guest's allocator simply has not used yet). Returns the
   * bytes of memory let go: the given one when it is not kept, and any it pushed out.
   */
  give(key: string, image: MemoryImage, memory: WebAssembly.Memory): number {
    const size = memory.buffer.byteLength;
    if (size > image.pages * PAGE + this.maxGrowthBytes || size > this.maxBytes) return size;
    const list = this.free.get(key) ?? [];
    if (list.length >= this.perModule) return size;
    // Re-inserted: the map's order is the order modules were last given back.
    this.free.delete(key);
    list.push({ memory, maximum: image.maximum });
    this.free.set(key, list);
    this.held += size;
    let dropped = 0;
    for (const [other, memories] of this.free) {
      if (this.held <= this.maxBytes) break;
      while (memories.length > 0 && this.held > this.maxBytes) {
        const bytes = memories.shift()!.memory.buffer.byteLength;
        this.held -= bytes;
        dropped += bytes;
      }
      if (memories.length === 0) this.free.delete(other);
    }
    return dropped;
  }

  /** Drops every memory held (an idle thread); returns the bytes let go. */
  clear(): number {
    const dropped = this.held;
    this.free.clear();
    this.held = 0;
    return dropped;
  }
}

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
 * Only the plain case is rewritten — one memory, defined (not imported), 32-bit, not shared, and
 * only active data segments at constant offsets inside its initial size; anything else keeps the
 * original module. A rewritten module that V8 refuses (e.g. code that names a data segment)
 * falls back to the original too.
 */

/** The initial contents of a rewritten module's memory, and the limits it must be created with. */
export interface MemoryImage {
  /** Initial size, in 64 KiB pages. */
  pages: number;
  maximum?: number;
  /** The initial memory up to its last non-zero byte (the rest is zeros), in shared memory. */
  bytes: Uint8Array;
}

/** A memory that grew more than this past its initial size is not reused (1 MiB, 16 pages). */
export const MAX_REUSED_GROWTH_BYTES = 16 * 65536;

/** The import a rewritten module takes its memory from. */
export const MEMORY_IMPORT = { module: 'spin-local', name: 'memory' } as const;

const PAGE = 65536;

class Reader {
  constructor(
    readonly bytes: Uint8Array,
    public at = 0,
  ) {}
  byte(): number {
    if (this.at >= this.bytes.length) throw new RangeError('unexpected end of module');
    return this.bytes[this.at++]!;
  }
  u32(): number {
    let result = 0;
    for (let shift = 0; ; shift += 7) {
      const b = this.byte();
      result += (b & 0x7f) * 2 ** shift;
      if (!(b & 0x80)) return result;
      if (shift > 28) throw new RangeError('LEB128 too long');
    }
  }
  i32(): number {
    let result = 0;
    let shift = 0;
    let b: number;
    do {
      b = this.byte();
      result |= (b & 0x7f) << shift;
      shift += 7;
    } while (b & 0x80 && shift < 35);
    if (shift < 32 && b & 0x40) result |= -1 << shift;
    return result;
  }
  take(length: number): Uint8Array {
    if (this.at + length > this.bytes.length) throw new RangeError('unexpected end of module');
    const slice = this.bytes.subarray(this.at, this.at + length);
    this.at += length;
    return slice;
  }
}

function u32Bytes(value: number): number[] {
  const out: number[] = [];
  do {
    let b = value & 0x7f;
    value = Math.floor(value / 128);
    if (value) b |= 0x80;
    out.push(b);
  } while (value);
  return out;
}

const nameBytes = (text: string) => {
  const utf8 = new TextEncoder().encode(text);
  return [...u32Bytes(utf8.length), ...utf8];
};

function concatBytes(parts: readonly Uint8Array[]): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(parts.reduce((sum, part) => sum + part.length, 0));
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

interface Section {
  id: number;
  body: Uint8Array;
}

function sectionsOf(module: Uint8Array): Section[] {
  const reader = new Reader(module, 8);
  const sections: Section[] = [];
  while (reader.at < module.length) {
    const id = reader.byte();
    const size = reader.u32();
    sections.push({ id, body: reader.take(size) });
  }
  return sections;
}

/**
 * The module rewritten to import its memory, with the image that memory must start with; null
 * when the module is not the plain case (see above).
 */
export function splitMemoryImage(module: Uint8Array): { module: Uint8Array<ArrayBuffer>; image: MemoryImage } | null {
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
    const limits = memorySection.body.subarray(1);

    // No imported memory (it would come first in the index space).
    if (importSection) {
      const imports = new Reader(importSection.body);
      for (let count = imports.u32(); count > 0; count--) {
        imports.take(imports.u32());
        imports.take(imports.u32());
        const kind = imports.byte();
        if (kind === 0) imports.u32();
        else if (kind === 1) {
          imports.byte();
          const tableFlags = imports.byte();
          imports.u32();
          if (tableFlags & 1) imports.u32();
        } else if (kind === 2) return null;
        else if (kind === 3) {
          imports.byte();
          imports.byte();
        } else return null;
      }
    }

    // Active segments at constant offsets, applied in order onto zeroed pages.
    const size = pages * PAGE;
    const image = new Uint8Array(new SharedArrayBuffer(size));
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

/**
 * Per executor thread: memories of finished instances, by module, handed to the next instance
 * of the same module after being reset to its image.
 */
export class MemoryPool {
  private readonly free = new Map<string, WebAssembly.Memory[]>();

  constructor(
    private readonly perModule = 2,
    /** How far past its initial size a memory may have grown and still be reused. */
    private readonly maxGrowthBytes = MAX_REUSED_GROWTH_BYTES,
  ) {}

  /** A memory in the module's initial state: a finished instance's, reset, or a new one. */
  take(key: string, image: MemoryImage): { memory: WebAssembly.Memory; reused: boolean } {
    const memory = this.free.get(key)?.pop();
    if (!memory) {
      const fresh = new WebAssembly.Memory({ initial: image.pages, ...(image.maximum !== undefined ? { maximum: image.maximum } : {}) });
      new Uint8Array(fresh.buffer).set(image.bytes);
      return { memory: fresh, reused: false };
    }
    const view = new Uint8Array(memory.buffer);
    view.set(image.bytes);
    view.fill(0, image.bytes.length);
    return { memory, reused: true };
  }

  /**
   * Takes back the memory of an instance that will never run again. A request usually grows the
   * memory by a page or two; one that grew more is dropped, so a large request's memory is not
   * kept, and an instance never starts with more than `maxGrowthBytes` of zeroed pages beyond
   * the module's initial size (which the guest's allocator simply has not used yet).
   */
  give(key: string, image: MemoryImage, memory: WebAssembly.Memory): void {
    if (memory.buffer.byteLength > image.pages * PAGE + this.maxGrowthBytes) return;
    const list = this.free.get(key) ?? [];
    if (list.length >= this.perModule) return;
    list.push(memory);
    this.free.set(key, list);
  }
}

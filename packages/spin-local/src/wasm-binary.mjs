// Reading and writing the WebAssembly binary format, as far as this project rewrites modules:
// spin-local's memory images (memory-images.ts) and the toolchain's chunked sbrk for
// componentize-js's splicer (packages/toolchain/src/sbrk-in-chunks.mjs). Plain JavaScript: the
// toolchain loads it in a plain Node process, before any TypeScript loader.

/** A cursor over a module's bytes; every read past the end throws a RangeError. */
export class Reader {
  constructor(bytes, at = 0) {
    this.bytes = bytes;
    this.at = at;
  }
  byte() {
    if (this.at >= this.bytes.length) throw new RangeError('unexpected end of module');
    return this.bytes[this.at++];
  }
  /** Unsigned LEB128, at most 32 bits. */
  u32() {
    let result = 0;
    for (let shift = 0; ; shift += 7) {
      const b = this.byte();
      result += (b & 0x7f) * 2 ** shift;
      if (!(b & 0x80)) return result;
      if (shift > 28) throw new RangeError('LEB128 too long');
    }
  }
  /** Signed LEB128, 32 bits. */
  i32() {
    let result = 0;
    let shift = 0;
    let b;
    do {
      b = this.byte();
      result |= (b & 0x7f) << shift;
      shift += 7;
    } while (b & 0x80 && shift < 35);
    if (shift < 32 && b & 0x40) result |= -1 << shift;
    return result;
  }
  take(length) {
    if (this.at + length > this.bytes.length) throw new RangeError('unexpected end of module');
    const slice = this.bytes.subarray(this.at, this.at + length);
    this.at += length;
    return slice;
  }
  /** A length-prefixed UTF-8 name. */
  name() {
    return new TextDecoder().decode(this.take(this.u32()));
  }
}

/** Unsigned LEB128. */
export function u32Bytes(value) {
  const out = [];
  do {
    let b = value & 0x7f;
    value = Math.floor(value / 128);
    if (value) b |= 0x80;
    out.push(b);
  } while (value);
  return out;
}

/** Signed LEB128 of a 32-bit value (i32.const immediates). */
export function s32Bytes(value) {
  const out = [];
  for (;;) {
    const b = value & 0x7f;
    value >>= 7;
    if ((value === 0 && !(b & 0x40)) || (value === -1 && b & 0x40)) {
      out.push(b);
      return out;
    }
    out.push(b | 0x80);
  }
}

/** A length-prefixed UTF-8 name. */
export function nameBytes(text) {
  const utf8 = new TextEncoder().encode(text);
  return [...u32Bytes(utf8.length), ...utf8];
}

export function concatBytes(parts) {
  const out = new Uint8Array(parts.reduce((sum, part) => sum + part.length, 0));
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

/** A module's sections in order: id and body (a view into the module). */
export function sectionsOf(module) {
  const reader = new Reader(module, 8);
  const sections = [];
  while (reader.at < module.length) {
    const id = reader.byte();
    const size = reader.u32();
    sections.push({ id, body: reader.take(size) });
  }
  return sections;
}

/** Import kinds, by their code in the import section. */
export const ImportKind = { function: 0, table: 1, memory: 2, global: 3 };

/**
 * The kind of each import of an import section's body, in order (imported functions, tables,
 * memories and globals come first in their index spaces). Throws a RangeError on a kind it does
 * not know (e.g. a tag, from the exception-handling proposal).
 */
export function importKinds(body) {
  const reader = new Reader(body);
  const kinds = [];
  for (let count = reader.u32(); count > 0; count--) {
    reader.take(reader.u32());
    reader.take(reader.u32());
    const kind = reader.byte();
    if (kind === ImportKind.function) reader.u32();
    else if (kind === ImportKind.table || kind === ImportKind.memory) {
      if (kind === ImportKind.table) reader.byte(); // element type
      const flags = reader.byte();
      reader.u32();
      if (flags & 1) reader.u32();
    } else if (kind === ImportKind.global) {
      reader.byte(); // value type
      reader.byte(); // mutability
    } else throw new RangeError(`import kind ${kind}`);
    kinds.push(kind);
  }
  return kinds;
}


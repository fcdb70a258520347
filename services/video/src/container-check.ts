// The container's outer structure checked against the file's size before the demuxer runs: the
// demuxer reads what it needs for metadata and is lenient about the rest, so a file cut short
// after its `moov` (an interrupted upload) or one whose top-level sizes lie would otherwise probe
// as fine. Only top-level boxes (ISO BMFF) or the EBML header and Segment (Matroska/WebM) are
// read: a few 16-byte reads, bounded by MAX_TOP_LEVEL_BOXES whatever the file declares.
import type { RangeReader } from './range-reader.ts';
import { VideoError } from './video-error.ts';

export type ContainerFamily = 'isobmff' | 'ebml' | 'unknown';

/** Fragmented files have a box pair per fragment: past this many the walk stops checking. */
export const MAX_TOP_LEVEL_BOXES = 64;

const ISO_TOP_LEVEL = new Set(['ftyp', 'moov', 'mdat', 'free', 'skip', 'wide', 'pnot', 'uuid', 'meta', 'moof', 'mfra', 'styp', 'sidx', 'pdin', 'prft', 'emsg']);

const fourCc = (bytes: Uint8Array, at: number) => String.fromCharCode(bytes[at]!, bytes[at + 1]!, bytes[at + 2]!, bytes[at + 3]!);
const u32 = (bytes: Uint8Array, at: number) => ((bytes[at]! << 24) >>> 0) + (bytes[at + 1]! << 16) + (bytes[at + 2]! << 8) + bytes[at + 3]!;

export function familyOf(head: Uint8Array): ContainerFamily {
  if (head.length >= 4 && head[0] === 0x1a && head[1] === 0x45 && head[2] === 0xdf && head[3] === 0xa3) return 'ebml';
  if (head.length >= 8 && ISO_TOP_LEVEL.has(fourCc(head, 4))) return 'isobmff';
  return 'unknown';
}

const mib = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MiB`;

/** Walks the top-level boxes: every size must fit the file, and a `moov` (or fragments) must exist. */
async function checkIsoBmff(reader: RangeReader): Promise<void> {
  let offset = 0;
  let sawMovie = false;
  for (let count = 0; offset < reader.size; count++) {
    if (count >= MAX_TOP_LEVEL_BOXES) return; // a fragmented file: the demuxer checks the rest
    if (reader.size - offset < 8) throw new VideoError('corrupt_video', `${reader.size - offset} stray bytes after the last box at offset ${offset}`);
    const header = await reader.read(offset, Math.min(offset + 16, reader.size));
    const type = fourCc(header, 4);
    if (!/^[\x20-\x7e]{4}$/.test(type)) throw new VideoError('corrupt_video', `No valid box at offset ${offset} (truncated or corrupt)`);
    let size = u32(header, 0);
    let headerBytes = 8;
    if (size === 1) {
      if (header.length < 16) throw new VideoError('corrupt_video', `Box '${type}' at offset ${offset} is cut short`);
      size = u32(header, 8) * 2 ** 32 + u32(header, 12);
      headerBytes = 16;
    } else if (size === 0) {
      size = reader.size - offset; // extends to the end of the file
    }
    if (size < headerBytes) throw new VideoError('corrupt_video', `Box '${type}' at offset ${offset} declares an impossible size of ${size} bytes`);
    if (offset + size > reader.size) {
      throw new VideoError(
        'corrupt_video',
        `Box '${type}' at offset ${offset} declares ${size} bytes (${mib(size)}), past the end of the ${reader.size}-byte file: the file is truncated or its sizes are wrong`,
      );
    }
    if (type === 'moov' || type === 'moof') sawMovie = true;
    offset += size;
  }
  if (!sawMovie) throw new VideoError('corrupt_video', 'The file has no movie box (moov): it is truncated or not a finished recording');
}

/** An EBML variable-length integer at `at`: its length and value (null when all value bits are set: "unknown size"). */
function vint(bytes: Uint8Array, at: number, keepMarker: boolean): { length: number; value: number | null } {
  const first = bytes[at];
  if (first === undefined || first === 0) throw new VideoError('corrupt_video', `Invalid EBML length at byte ${at}`);
  const length = Math.clz32(first) - 23;
  if (at + length > bytes.length) throw new VideoError('corrupt_video', 'The EBML header is cut short');
  let value = keepMarker ? first : first & (0xff >> length);
  let allOnes = value === 0xff >> length;
  for (let i = 1; i < length; i++) {
    value = value * 256 + bytes[at + i]!;
    if (bytes[at + i] !== 0xff) allOnes = false;
  }
  return { length, value: !keepMarker && allOnes ? null : value };
}

/** The EBML header, then the Segment: a declared size must fit the file (an unknown size is allowed: live recordings). */
async function checkEbml(reader: RangeReader): Promise<void> {
  const head = await reader.read(0, Math.min(reader.size, 4096));
  const headerSize = vint(head, 4, false);
  if (headerSize.value === null) throw new VideoError('corrupt_video', 'The EBML header has no size');
  const segmentAt = 4 + headerSize.length + headerSize.value;
  if (segmentAt + 12 > reader.size) throw new VideoError('corrupt_video', 'The file ends before its Segment: it is truncated');
  const bytes = segmentAt + 12 <= head.length ? head.subarray(segmentAt, segmentAt + 12) : await reader.read(segmentAt, segmentAt + 12);
  const id = vint(bytes, 0, true);
  if (id.value !== 0x18538067) throw new VideoError('corrupt_video', `Expected the Segment after the EBML header at offset ${segmentAt}`);
  const size = vint(bytes, id.length, false);
  if (size.value === null) return;
  const end = segmentAt + id.length + size.length + size.value;
  if (end > reader.size) {
    throw new VideoError(
      'corrupt_video',
      `The Segment declares ${size.value} bytes (${mib(size.value)}), past the end of the ${reader.size}-byte file: the file is truncated or its sizes are wrong`,
    );
  }
}

/** Which family the file is and that its outer structure fits its size; throws `corrupt_video`. */
export async function checkContainer(reader: RangeReader): Promise<ContainerFamily> {
  if (reader.size === 0) throw new VideoError('corrupt_video', 'The file is empty');
  const head = await reader.read(0, Math.min(reader.size, 16));
  const family = familyOf(head);
  if (family === 'isobmff') await checkIsoBmff(reader);
  if (family === 'ebml') await checkEbml(reader);
  return family;
}

import { describe, expect, it } from 'vitest';
import { detectContentType, familyOf, isActiveContent } from './content-type.ts';
import { SNIFF_HEAD_BYTES } from './upload.ts';

const bytes = (text: string) => new TextEncoder().encode(text);
const PNG = Uint8Array.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13, 0x49, 0x48, 0x44, 0x52, 0, 0, 0, 1, 0, 0, 0, 1, 8, 6, 0, 0, 0]);

describe('content type from the bytes', () => {
  it('knows binary formats by their magic numbers', async () => {
    expect(await detectContentType(PNG)).toBe('image/png');
    expect(await detectContentType(bytes('%PDF-1.7\n'))).toBe('application/pdf');
    expect(await detectContentType(Uint8Array.from([0, 1, 2, 3, 0, 0]))).toBe('application/octet-stream');
  });

  it('tells markup from plain text', async () => {
    expect(await detectContentType(bytes('<!DOCTYPE html><p>x'))).toBe('text/html');
    expect(await detectContentType(bytes('hello <script>alert(1)</script>'))).toBe('text/html');
    expect(await detectContentType(bytes('<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"/>'))).toBe('image/svg+xml');
    expect(await detectContentType(bytes('  <svg onload="alert(1)">'))).toBe('image/svg+xml');
    expect(await detectContentType(bytes('<?xml version="1.0"?><book/>'))).toBe('application/xml');
    expect(await detectContentType(bytes('Chapter One\nIt was a dark night. 5 < 6.'))).toBe('text/plain');
    expect(await detectContentType(bytes('café'))).toBe('text/plain');
  });

  it('marks what a browser would run as active', () => {
    for (const type of ['text/html', 'image/svg+xml', 'application/xml', 'text/javascript', 'application/atom+xml', 'TEXT/HTML; charset=utf-8']) {
      expect(isActiveContent(type)).toBe(true);
    }
    for (const type of ['image/png', 'text/plain', 'audio/mpeg', null]) expect(isActiveContent(type)).toBe(false);
    expect(familyOf('audio/mpeg')).toBe('audio');
  });
});

describe('the first bytes of a streamed upload are enough', () => {
  const u16 = (n: number) => [n & 0xff, n >> 8];
  const u32 = (n: number) => [n & 0xff, (n >> 8) & 0xff, (n >> 16) & 0xff, n >>> 24];
  /** A zip of stored (uncompressed) entries: local headers and data only, as a reader streaming from the start sees it. */
  const zip = (entries: [string, Uint8Array][]) => {
    const parts: Uint8Array[] = [];
    for (const [name, data] of entries) {
      const nameBytes = [...new TextEncoder().encode(name)];
      parts.push(Uint8Array.from([0x50, 0x4b, 0x03, 0x04, ...u16(20), ...u16(0), ...u16(0), ...u16(0), ...u16(0), ...u32(0), ...u32(data.length), ...u32(data.length), ...u16(nameBytes.length), ...u16(0), ...nameBytes]), data);
    }
    return new Uint8Array(Buffer.concat(parts));
  };
  const filler = (size: number) => new Uint8Array(size).fill(0x41);

  it('detects an EPUB with a large chapter and an MP3 behind a large ID3 tag from their first 64 KiB as from the whole', async () => {
    const epub = zip([['mimetype', bytes('application/epub+zip')], ['OEBPS/chapter1.xhtml', filler(300_000)]]);
    const id3Size = 200_000;
    const synchsafe = [(id3Size >> 21) & 0x7f, (id3Size >> 14) & 0x7f, (id3Size >> 7) & 0x7f, id3Size & 0x7f];
    const mp3 = new Uint8Array(Buffer.concat([Uint8Array.from([0x49, 0x44, 0x33, 3, 0, 0, ...synchsafe]), filler(id3Size), Uint8Array.from([0xff, 0xfb, 0x90, 0x64]), filler(2000)]));
    for (const [file, expected] of [[epub, 'application/epub+zip'], [mp3, 'audio/mpeg']] as const) {
      expect(await detectContentType(file)).toBe(expected);
      expect(await detectContentType(file.slice(0, SNIFF_HEAD_BYTES))).toBe(expected);
    }
  });
});

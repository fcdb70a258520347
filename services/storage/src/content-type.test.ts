import { describe, expect, it } from 'vitest';
import { detectContentType, familyOf, isActiveContent } from './content-type.ts';

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

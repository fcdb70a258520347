import { describe, expect, it } from 'vitest';
import { boundaryOf, indexOfBytes, parseMultipartFile } from './multipart.ts';

const encoder = new TextEncoder();
const form = (boundary: string, ...parts: string[]) => encoder.encode(`${parts.map((part) => `--${boundary}\r\n${part}\r\n`).join('')}--${boundary}--\r\n`);
const text = (bytes: Uint8Array) => new TextDecoder().decode(bytes);

describe('multipart/form-data', () => {
  it('reads the boundary, quoted or not, and only from form-data', () => {
    expect(boundaryOf('multipart/form-data; boundary=abc')).toBe('abc');
    expect(boundaryOf('Multipart/Form-Data; charset=utf-8; boundary="a b"')).toBe('a b');
    expect(boundaryOf('application/octet-stream')).toBeNull();
    expect(boundaryOf(null)).toBeNull();
    expect(() => boundaryOf('multipart/form-data')).toThrow(/boundary/);
    expect(() => boundaryOf(`multipart/form-data; boundary=${'x'.repeat(71)}`)).toThrow(/boundary/);
  });

  it('returns the file part as a view, with its name, filename and type', () => {
    const body = form(
      'XyZ',
      'Content-Disposition: form-data; name="title"\r\n\r\nhello',
      'Content-Disposition: form-data; name="file"; filename="notes.txt"\r\nContent-Type: text/plain\r\n\r\nline one\r\nline two',
    );
    const part = parseMultipartFile(body, 'XyZ');
    expect(part).toMatchObject({ name: 'file', filename: 'notes.txt', contentType: 'text/plain' });
    expect(text(part.bytes)).toBe('line one\r\nline two');
    expect(part.bytes.buffer).toBe(body.buffer);
  });

  it('decodes filename* and keeps bytes that look like the boundary without its CRLF', () => {
    const body = form('b1', "Content-Disposition: form-data; name=\"file\"; filename*=UTF-8''%E2%9C%93.bin\r\n\r\n--b1x\r\n-b1");
    const part = parseMultipartFile(body, 'b1');
    expect(part.filename).toBe('✓.bin');
    expect(text(part.bytes)).toBe('--b1x\r\n-b1');
  });

  it('accepts an empty file part and a preamble', () => {
    const body = encoder.encode('preamble\r\n--q\r\nContent-Disposition: form-data; name="file"; filename="e"\r\n\r\n\r\n--q--');
    expect(parseMultipartFile(body, 'q').bytes.length).toBe(0);
  });

  it('refuses malformed envelopes', () => {
    expect(() => parseMultipartFile(encoder.encode('no boundary here'), 'q')).toThrow(/boundary/);
    expect(() => parseMultipartFile(encoder.encode('--q\r\nContent-Disposition: form-data; name="file"; filename="a"\r\n\r\ncut sho'), 'q')).toThrow(/cut short/);
    expect(() => parseMultipartFile(form('q', 'Content-Disposition: form-data; name="a"\r\n\r\nx'), 'q')).toThrow(/no file part/);
    expect(() => parseMultipartFile(form('q', 'Content-Type: text/plain\r\n\r\nx'), 'q')).toThrow(/form-data/);
    expect(() => parseMultipartFile(form('q', `X-Long: ${'a'.repeat(9000)}\r\n\r\nx`), 'q')).toThrow(/headers/);
    const many = Array.from({ length: 9 }, (_, i) => `Content-Disposition: form-data; name="f${i}"\r\n\r\nx`);
    expect(() => parseMultipartFile(form('q', ...many), 'q')).toThrow(/at most 8/);
  });

  it('finds byte strings', () => {
    const hay = encoder.encode('aab\r\n--x\r\n--xy');
    expect(indexOfBytes(hay, encoder.encode('\r\n--xy'))).toBe(8);
    expect(indexOfBytes(hay, encoder.encode('zz'))).toBe(-1);
  });
});

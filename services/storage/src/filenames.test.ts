import { describe, expect, it } from 'vitest';
import { contentDisposition, sanitizeFilename } from './filenames.ts';

describe('filenames', () => {
  it('keeps one path segment without control or bidi characters', () => {
    expect(sanitizeFilename('../../etc/passwd')).toBe('passwd');
    expect(sanitizeFilename('C:\\Users\\ada\\cover.png')).toBe('cover.png');
    expect(sanitizeFilename('a\u0000b\r\nc.txt')).toBe('a_b__c.txt');
    expect(sanitizeFilename('evil\u202Egnp.exe')).toBe('evil_gnp.exe');
    expect(sanitizeFilename('..hidden')).toBe('hidden');
    expect(sanitizeFilename('say "hi".txt')).toBe("say 'hi'.txt");
    expect(sanitizeFilename('  ')).toBe('file');
    expect(sanitizeFilename('dir/')).toBe('file');
  });

  it('cuts long names to 255 characters, keeping the extension', () => {
    const name = sanitizeFilename(`${'é'.repeat(300)}.epub`);
    expect(name.length).toBe(255);
    expect(name.endsWith('.epub')).toBe(true);
  });

  it('writes Content-Disposition with an ASCII fallback and the exact name', () => {
    expect(contentDisposition('attachment', 'Grüße "1".txt')).toBe(`attachment; filename="Gr__e _1_.txt"; filename*=UTF-8''Gr%C3%BC%C3%9Fe%20%221%22.txt`);
    expect(contentDisposition('inline', "it's (1).png")).toBe(`inline; filename="it's (1).png"; filename*=UTF-8''it%27s%20%281%29.png`);
  });
});

import { unstorableText } from '@authorworks/kit';

// Filenames come from clients and end up in Content-Disposition headers and in listings: what is
// stored is a single path segment with no control or bidirectional-override characters.

export const MAX_FILENAME_CHARS = 255;

const CONTROL = /[\u0000-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;

/** `../../etc/pass\u0000wd` → `pass_wd`; never empty (`file`). */
export function sanitizeFilename(raw: string): string {
  const segment = raw.slice(Math.max(raw.lastIndexOf('/'), raw.lastIndexOf('\\')) + 1);
  let name = segment.replace(CONTROL, '_').replace(/"/g, "'").trim().replace(/^\.+/, '').trim();
  if (unstorableText(name)) name = name.replace(/[\uD800-\uDFFF]/g, '_');
  if (name.length > MAX_FILENAME_CHARS) {
    const dot = name.lastIndexOf('.');
    const extension = dot > 0 && name.length - dot <= 16 ? name.slice(dot) : '';
    name = name.slice(0, MAX_FILENAME_CHARS - extension.length) + extension;
    // A cut between a surrogate pair leaves half a character.
    name = name.replace(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])/g, '_');
  }
  return name === '' ? 'file' : name;
}

/** RFC 6266: an ASCII `filename` for old clients and the exact name as `filename*`. */
export function contentDisposition(kind: 'inline' | 'attachment', filename: string): string {
  const fallback = filename.replace(/[^\x20-\x7e]|["\\%]/g, '_');
  const exact = encodeURIComponent(filename).replace(/['()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
  return `${kind}; filename="${fallback}"; filename*=UTF-8''${exact}`;
}

// One `Range: bytes=…` (RFC 9110 §14) against an object of `size` bytes. Anything but a single
// byte range is ignored (the whole object is served), as the RFC allows.

export type RangeAnswer = { start: number; end: number } | 'unsatisfiable' | null;

export function parseRange(header: string | null, size: number): RangeAnswer {
  if (header === null) return null;
  const match = /^\s*bytes\s*=\s*(\d{0,15})\s*-\s*(\d{0,15})\s*$/i.exec(header);
  if (!match || (match[1] === '' && match[2] === '')) return null;
  if (match[1] === '') {
    const suffix = Number(match[2]);
    if (suffix === 0 || size === 0) return 'unsatisfiable';
    return { start: Math.max(0, size - suffix), end: size - 1 };
  }
  const start = Number(match[1]);
  if (match[2] !== '' && Number(match[2]) < start) return null;
  if (start >= size) return 'unsatisfiable';
  const end = match[2] === '' ? size - 1 : Number(match[2]);
  return { start, end: Math.min(end, size - 1) };
}

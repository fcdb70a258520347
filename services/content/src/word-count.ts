// The domain's countWords uses Unicode property escapes (\p{L}), which the SpiderMonkey inside
// componentize-js 0.10 rejects when the component is pre-initialised ("invalid class property
// name in regular expression"). This is the same rule spelled with explicit ranges: a word starts
// with a letter or digit and continues over letters, digits, apostrophes and hyphens. The ranges
// cover Latin, Greek, Cyrillic, Armenian, Hebrew, Arabic, Devanagari, Thai, Hangul and CJK.
const WORD_CHAR =
  'A-Za-z0-9\\u00AA\\u00B2\\u00B3\\u00B5\\u00B9\\u00BA\\u00BC-\\u00BE\\u00C0-\\u00D6\\u00D8-\\u00F6\\u00F8-\\u02C1' +
  '\\u0370-\\u0373\\u0376-\\u037D\\u0386\\u0388-\\u03FF\\u0400-\\u0481\\u048A-\\u052F\\u0531-\\u0556\\u0561-\\u0587' +
  '\\u05D0-\\u05EA\\u0620-\\u064A\\u0660-\\u0669\\u0671-\\u06D3\\u06F0-\\u06FF\\u0904-\\u0939\\u0966-\\u096F' +
  '\\u0E01-\\u0E30\\u0E50-\\u0E59\\u1E00-\\u1FFF\\u3041-\\u3096\\u30A1-\\u30FA\\u3400-\\u4DBF\\u4E00-\\u9FFF' +
  '\\uAC00-\\uD7A3\\uFF10-\\uFF19\\uFF21-\\uFF3A\\uFF41-\\uFF5A';
const WORD = new RegExp(`[${WORD_CHAR}][${WORD_CHAR}'\\u2019-]*`, 'g');

/** Words in a text: runs of letters/digits, so markdown punctuation does not count. */
export function countWords(text: string): number {
  return text.match(WORD)?.length ?? 0;
}

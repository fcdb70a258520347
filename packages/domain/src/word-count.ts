// Word counting shared by every service that shows or stores word counts.
//
// No Unicode property escapes (\p{L}): the SpiderMonkey inside componentize-js 0.10 rejects them
// when the component is pre-initialised ("invalid class property name in regular expression"),
// and a global regex match over a long chapter (~150 KB) traps the component. So this is one pass
// over the text without allocation: a word starts with a letter or digit and continues over
// letters, digits, apostrophes and hyphens. Letters are those of Latin, Greek, Cyrillic,
// Armenian, Hebrew, Arabic, Devanagari, Thai, Hangul and CJK. (First written for the content
// service, which measured both failures.)

/** Inclusive code-point ranges of letters and digits, sorted. */
const WORD_RANGES: readonly (readonly [number, number])[] = [
  [0x30, 0x39], [0x41, 0x5a], [0x61, 0x7a], [0xaa, 0xaa], [0xb2, 0xb3], [0xb5, 0xb5], [0xb9, 0xba],
  [0xbc, 0xbe], [0xc0, 0xd6], [0xd8, 0xf6], [0xf8, 0x2c1], [0x370, 0x373], [0x376, 0x37d], [0x386, 0x386],
  [0x388, 0x3ff], [0x400, 0x481], [0x48a, 0x52f], [0x531, 0x556], [0x561, 0x587], [0x5d0, 0x5ea],
  [0x620, 0x64a], [0x660, 0x669], [0x671, 0x6d3], [0x6f0, 0x6ff], [0x904, 0x939], [0x966, 0x96f],
  [0xe01, 0xe30], [0xe50, 0xe59], [0x1e00, 0x1fff], [0x3041, 0x3096], [0x30a1, 0x30fa], [0x3400, 0x4dbf],
  [0x4e00, 0x9fff], [0xac00, 0xd7a3], [0xff10, 0xff19], [0xff21, 0xff3a], [0xff41, 0xff5a],
];

function isWordChar(code: number): boolean {
  let low = 0;
  let high = WORD_RANGES.length - 1;
  while (low <= high) {
    const middle = (low + high) >> 1;
    const [from, to] = WORD_RANGES[middle]!;
    if (code < from) high = middle - 1;
    else if (code > to) low = middle + 1;
    else return true;
  }
  return false;
}

/** Apostrophes and hyphens continue a word (it's, well-known) but never start one. */
const isJoiner = (code: number) => code === 0x27 || code === 0x2019 || code === 0x2d;

/** Words in a text: runs of letters/digits, so markdown punctuation does not count. */
export function countWords(text: string): number {
  let words = 0;
  let inWord = false;
  for (let index = 0; index < text.length; index++) {
    const code = text.charCodeAt(index);
    if (isWordChar(code)) {
      if (!inWord) words++;
      inWord = true;
    } else if (!(inWord && isJoiner(code))) {
      inWord = false;
    }
  }
  return words;
}

/** Reading time at 250 words per minute, rounded up. */
export function readingTimeMinutes(wordCount: number): number {
  return Math.ceil(wordCount / 250);
}

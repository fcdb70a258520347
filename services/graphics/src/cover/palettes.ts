// Genre palettes: a vertical background gradient, the title's and the other lines' colours, and
// an accent for the rule and the frame. Chosen to pass WCAG AA as they are; the renderer measures
// anyway (and darkens or lightens behind the text when a colour does not pass).
import { parseHex, type Rgb } from './contrast.ts';

export interface Palette {
  name: string;
  top: Rgb;
  bottom: Rgb;
  title: Rgb;
  text: Rgb;
  accent: Rgb;
}

const palette = (name: string, top: string, bottom: string, title: string, text: string, accent: string): Palette => ({
  name, top: parseHex(top), bottom: parseHex(bottom), title: parseHex(title), text: parseHex(text), accent: parseHex(accent),
});

export const PALETTES = {
  fantasy: palette('fantasy', '#2b1a4a', '#0f0a1f', '#f3d98b', '#ece4f7', '#c9a54a'),
  scifi: palette('scifi', '#06202b', '#020a10', '#bff4ff', '#e2f3f7', '#35c2d8'),
  romance: palette('romance', '#7a1f3d', '#3d0b1e', '#fde8ee', '#fbdbe4', '#f29bb5'),
  mystery: palette('mystery', '#23262b', '#0b0c0e', '#f2efe8', '#d9d6cf', '#c23b32'),
  horror: palette('horror', '#1a0505', '#000000', '#f4f1f1', '#e4dada', '#a3120f'),
  literary: palette('literary', '#f4efe4', '#e6dcc8', '#1f1a14', '#3a3128', '#8a5a2b'),
  nonfiction: palette('nonfiction', '#0f2a47', '#081626', '#ffffff', '#dfe8f2', '#f0b43c'),
  children: palette('children', '#fff4d6', '#ffe1a8', '#2a1d5c', '#3b2e6e', '#e4572e'),
} as const satisfies Record<string, Palette>;

export type PaletteName = keyof typeof PALETTES;
export const PALETTE_NAMES = Object.keys(PALETTES) as [PaletteName, ...PaletteName[]];

/** Genre words (lower case) → palette; anything unknown is `literary`. */
const GENRE_WORDS: [RegExp, PaletteName][] = [
  [/fantas|myth|fairy|dragon|magic/, 'fantasy'],
  [/sci-?fi|science fiction|space|cyber|dystop|future/, 'scifi'],
  [/romanc|love/, 'romance'],
  [/myster|thrill|crime|detect|noir|suspense/, 'mystery'],
  [/horror|ghost|gothic|supernatural/, 'horror'],
  [/non-?fiction|biograph|memoir|histor|essay|science|business|self-help/, 'nonfiction'],
  [/child|kid|picture|middle grade|young adult|ya\b/, 'children'],
];

export function paletteForGenre(genre: string): PaletteName {
  const g = genre.toLowerCase();
  for (const [pattern, name] of GENRE_WORDS) if (pattern.test(g)) return name;
  return 'literary';
}

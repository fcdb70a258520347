// The cover fonts for Node (tests, bench): the same WOFF files the component embeds, from node_modules.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { openCoverFonts, type CoverFonts } from './text-font.ts';

const require = createRequire(import.meta.url);
const file = (specifier: string) => new Uint8Array(readFileSync(require.resolve(specifier)));

export const COVER_FONT_FILES = {
  title: '@fontsource/playfair-display/files/playfair-display-latin-700-normal.woff',
  body: '@fontsource/inter/files/inter-latin-500-normal.woff',
} as const;

export function nodeCoverFonts(): Promise<CoverFonts> {
  return openCoverFonts({ title: file(COVER_FONT_FILES.title), body: file(COVER_FONT_FILES.body) });
}

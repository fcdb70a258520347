// The cover fonts, embedded in the component at build time (esbuild's `bytes` import: a base64
// string decoded when the module loads, which componentize-js does once, in the snapshot). Both
// are SIL Open Font License 1.1, from @fontsource (latin subsets, WOFF: opentype.js reads WOFF,
// not WOFF2). Node code (tests, bench) reads the same files from node_modules instead.
/// <reference path="./woff.d.ts" />
import playfairDisplayBold from '@fontsource/playfair-display/files/playfair-display-latin-700-normal.woff' with { type: 'bytes' };
import interMedium from '@fontsource/inter/files/inter-latin-500-normal.woff' with { type: 'bytes' };
import { openCoverFonts, type CoverFonts } from './text-font.ts';

let fonts: Promise<CoverFonts> | undefined;

/** The parsed fonts (once per instance). */
export function embeddedCoverFonts(): Promise<CoverFonts> {
  fonts ??= openCoverFonts({ title: playfairDisplayBold, body: interMedium });
  return fonts;
}

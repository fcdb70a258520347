import type { TransformSpec } from '../../../services/graphics/src/image/transform.ts';

/** The outputs each bench operation renders, the same in the component and in Node. */
export const BENCH_SPECS: Record<string, TransformSpec[]> = {
  // What the worker's thumbnail job renders, from one decode.
  thumbnail: [512, 256, 128].map((size) => ({ width: size, height: size, fit: 'contain', withoutEnlargement: true, format: 'same', quality: 82 })),
  thumbnail512: [{ width: 512, height: 512, fit: 'contain', withoutEnlargement: true, format: 'same', quality: 82 }],
  resize: [{ width: 1024, fit: 'contain', format: 'jpeg', quality: 85 }],
};

/** The cover the bench renders: a long title (auto-fit to several lines), subtitle and author. */
export const BENCH_COVER = {
  text: { title: 'The Wavering Voyage of Avalon and the Seventeen Lighthouses of the Northern Sea', subtitle: 'Book one of the Tidewater cycle', author: 'Alice Example' },
  palette: 'fantasy',
} as const;

/** A cover's background picture: cropped to fill 1600×2560, a JPEG decoded at up to half that. */
export const BENCH_COVER_BACKGROUND: TransformSpec = { width: 1600, height: 2560, fit: 'cover', format: 'png' };

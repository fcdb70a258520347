export * from './common.ts';
export * from './events.ts';
export * from './user.ts';
export * from './content.ts';
export { countWords, readingTimeMinutes } from './word-count.ts';
export * from './storage.ts';
export * from './editor.ts';
export * from './messaging.ts';

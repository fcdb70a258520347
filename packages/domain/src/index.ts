export * from './common.ts';
export * from './events.ts';
export * from './user.ts';
export * from './content.ts';

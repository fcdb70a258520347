// Worker threads start without the parent's TypeScript loader (vitest's or tsx's), so the
// executor thread registers tsx itself before importing its TypeScript entry.
import { register } from 'tsx/esm/api';

register();
await import('./executor-worker.ts');

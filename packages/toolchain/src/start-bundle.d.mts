import type { BuildResult } from 'esbuild';
export declare const START_SOURCE_DIRS: string[];
export declare function startBundleCache(packageDir: string): string;
export declare function startBundleDir(packageDir: string): string;
export declare function bundleStart(packageDir: string, outdir: string, options?: { write?: boolean }): Promise<BuildResult<{ metafile: true }>>;
export declare function bundleForNode(entryPoints: Record<string, string>, outdir: string, options?: { write?: boolean }): Promise<BuildResult<{ metafile: true }>>;

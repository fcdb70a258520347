export declare const EXTERNAL_PACKAGES: string[];
export declare const BUNDLED_SOURCE_DIRS: string[];
export declare const LOCKFILE: string;
export declare function bundledSourcesHash(packageDir: string): string;
export declare function sourcesHash(packageDir: string, dirs: string[]): string;

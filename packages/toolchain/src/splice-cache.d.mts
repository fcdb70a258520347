export interface SpliceResult {
  wasm: Uint8Array;
  jsBindings: string;
  exports: Array<[string, { params: string[]; ret?: string; retptr: boolean; retsize: number; paramptr: boolean }]>;
  imports: Array<[string, string, number]>;
}
export interface Splicer {
  spliceBindings(engine: Uint8Array, features: string[], witWorld: string | undefined, witPath: string | undefined, worldName: string | undefined, debug: boolean): SpliceResult;
}
export declare const MAX_ENTRIES: number;
export declare function witTreeHash(witPath: string): string;
export declare function spliceKey(splicerId: string, args: Parameters<Splicer['spliceBindings']>): string;
export declare function installSpliceCache(splicer: Splicer, options: { cacheDir: string; splicerId: string }): { counts: { hits: number; misses: number }; uninstall: () => void };

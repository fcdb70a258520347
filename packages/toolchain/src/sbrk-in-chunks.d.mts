export declare const CHECKED_SPLICERS: Map<string, string>;
export declare const MIN_GROW_PAGES: number;
export declare function sbrkInChunks(bytes: Uint8Array): Uint8Array<ArrayBuffer> | null;
export declare function rewriteSbrk(bytes: Uint8Array): Uint8Array<ArrayBuffer> | null;
export declare function installSbrkInChunks(): () => void;

export declare class Reader {
  readonly bytes: Uint8Array;
  at: number;
  constructor(bytes: Uint8Array, at?: number);
  byte(): number;
  u32(): number;
  i32(): number;
  take(length: number): Uint8Array;
  name(): string;
}
export declare function u32Bytes(value: number): number[];
export declare function s32Bytes(value: number): number[];
export declare function nameBytes(text: string): number[];
export declare function concatBytes(parts: readonly Uint8Array[]): Uint8Array<ArrayBuffer>;
export interface Section {
  id: number;
  body: Uint8Array;
}
export declare function sectionsOf(module: Uint8Array): Section[];
export declare const ImportKind: { readonly function: 0; readonly table: 1; readonly memory: 2; readonly global: 3 };
export declare function importKinds(body: Uint8Array): number[];

// Types of the Spin 2.0 host interfaces as componentize-js presents them to the guest
// (WIT in @fermyon/spin-sdk/bin/wit). A WIT `result` error is thrown as `{ payload }`. Byte lists
// arrive as typed arrays that fail `instanceof Uint8Array` in the guest (componentize-js 0.19):
// test them with `ArrayBuffer.isView`.

declare module 'fermyon:spin/variables@2.0.0' {
  export function get(name: string): string;
}

declare module 'fermyon:spin/postgres@2.0.0' {
  export type ParameterValue =
    | { tag: 'boolean'; val: boolean }
    | { tag: 'int64'; val: bigint }
    | { tag: 'floating64'; val: number }
    | { tag: 'str'; val: string }
    | { tag: 'binary'; val: Uint8Array }
    | { tag: 'db-null' };
  export type DbValue =
    | { tag: 'boolean'; val: boolean }
    | { tag: 'int8' | 'int16' | 'int32' | 'uint8' | 'uint16' | 'uint32' | 'floating32' | 'floating64'; val: number }
    | { tag: 'int64' | 'uint64'; val: bigint }
    | { tag: 'str'; val: string }
    | { tag: 'binary'; val: Uint8Array }
    | { tag: 'db-null' }
    | { tag: 'unsupported' };
  export interface Column {
    name: string;
    dataType: string;
  }
  export interface RowSet {
    columns: Column[];
    rows: DbValue[][];
  }
  export class Connection {
    static open(address: string): Connection;
    query(statement: string, params: ParameterValue[]): RowSet;
    execute(statement: string, params: ParameterValue[]): bigint;
  }
}

declare module 'fermyon:spin/redis@2.0.0' {
  export type RedisParameter = { tag: 'int64'; val: bigint } | { tag: 'binary'; val: Uint8Array };
  export type RedisResult =
    | { tag: 'nil' }
    | { tag: 'status'; val: string }
    | { tag: 'int64'; val: bigint }
    | { tag: 'binary'; val: Uint8Array };
  export class Connection {
    static open(address: string): Connection;
    publish(channel: string, payload: Uint8Array): void;
    get(key: string): Uint8Array | undefined;
    set(key: string, value: Uint8Array): void;
    incr(key: string): bigint;
    del(keys: string[]): number;
    sadd(key: string, values: string[]): number;
    smembers(key: string): string[];
    srem(key: string, values: string[]): number;
    execute(command: string, args: RedisParameter[]): RedisResult[];
  }
}

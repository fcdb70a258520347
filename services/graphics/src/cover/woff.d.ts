// Font files the worker embeds as bytes (`import x from '…woff' with { type: 'bytes' }`, inlined by esbuild).
declare module '*.woff' {
  const bytes: Uint8Array;
  export default bytes;
}

// Files the component embeds as text (`import x from '…' with { type: 'text' }`, inlined by esbuild).
declare module 'swagger-ui-dist/swagger-ui-bundle.js' {
  const text: string;
  export default text;
}
declare module 'swagger-ui-dist/swagger-ui.css' {
  const text: string;
  export default text;
}
declare module '*.css' {
  const text: string;
  export default text;
}

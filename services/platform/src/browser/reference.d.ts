// The component imports this browser script as text (src/reference-assets.ts); it exports nothing.
declare const text: string;
export default text;

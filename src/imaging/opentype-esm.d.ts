// opentype.js's ES module build, typed as the package: see watermark.ts for why it is the one imported
declare module 'opentype.js/dist/opentype.mjs' {
  export * from 'opentype.js';
}

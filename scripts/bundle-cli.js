// Start-up matters (`clinica --version` and `--help` must cost ≤ 1.1× `node -e 0`): after tsc, the CLI's front —
// cli.ts, the commander declarations and commander itself — is bundled by esbuild into one file, dist/cli.js.
// Loading one pre-linked file skips ~15 module resolutions and the CJS→ESM lexing of commander. Every dynamic
// import() (the command modules, the Ui) stays a separate file in dist/, loaded only when a command runs.
import { build } from 'esbuild';
import { writeFileSync } from 'node:fs';
import { dirname, relative, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const src = resolve(root, 'src');
const dist = resolve(root, 'dist');

const keepDynamicImportsLazy = {
  name: 'keep-dynamic-imports-lazy',
  setup(b) {
    b.onResolve({ filter: /.*/ }, (args) => {
      if (args.kind !== 'dynamic-import' || !args.path.startsWith('.')) return undefined;
      const target = resolve(dirname(args.importer), args.path).replace(src, dist);
      let path = relative(dist, target);
      if (!path.startsWith('.')) path = './' + path;
      return { path, external: true };
    });
  },
};

// commander requires node:child_process at load for executable subcommands, which clinica has none of;
// loading it pulls net, dgram, stream and ~30 more built-ins into every start. It is handed a stand-in that
// requires the real module on first use.
const lazyChildProcess = {
  name: 'lazy-child-process',
  setup(b) {
    b.onResolve({ filter: /^(node:)?child_process$/ }, (args) => (/[\\/]commander[\\/]/.test(args.importer) ? { path: 'child_process', namespace: 'lazy-builtin' } : undefined));
    b.onLoad({ filter: /.*/, namespace: 'lazy-builtin' }, () => ({
      contents: "let real; module.exports = new Proxy({}, { get: (_, key) => (real ??= require('node:child_process'))[key] });",
      loader: 'js',
    }));
  },
};

await build({
  entryPoints: [resolve(src, 'cli.ts')],
  outfile: resolve(dist, 'cli.js'),
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  sourcemap: true,
  minify: true, // less to parse on every start
  packages: 'bundle',
  // commander is CJS: give the bundle a require() for Node built-ins it asks for
  banner: { js: "import { createRequire as __clinicaRequire } from 'node:module'; const require = __clinicaRequire(import.meta.url);" },
  plugins: [keepDynamicImportsLazy, lazyChildProcess],
  logLevel: 'warning',
});

// Every command's help as commander prints it to a pipe, for bin/clinica.js to print `--help` without loading
// the CLI (src/help-table.ts; test/help-table.test.ts checks it against commander's).
const { helpTable } = await import(pathToFileURL(resolve(dist, 'help-table.js')).href);
writeFileSync(resolve(dist, 'help.json'), JSON.stringify(helpTable()));

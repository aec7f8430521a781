// The staff page's script: src/web/main.ts and the modules it imports (their texts from src/web/strings/*.json
// included) bundled by esbuild into one minified file, templates/staff/app.js, beside the page's index.html and
// app.css. The server serves templates/staff/ as it is — in `clinica dev`, and in the deployed release, which
// copies the folder — so all of them serve this same file. `npm run build` runs this; so do the tests.
import { build } from 'esbuild';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/** Builds templates/staff/app.js; returns its path. */
export async function bundleWeb({ outfile = resolve(root, 'templates', 'staff', 'app.js') } = {}) {
  await build({
    entryPoints: [resolve(root, 'src', 'web', 'main.ts')],
    outfile,
    bundle: true,
    platform: 'browser',
    format: 'esm',
    // the browsers a clinic's reception has today (<dialog>, ES2022); nothing older is served to
    target: ['es2022', 'chrome100', 'firefox100', 'safari15.4'],
    minify: true,
    legalComments: 'none',
    banner: { js: '// Built from src/web/ by scripts/bundle-web.js (npm run build): edit the sources, not this file.' },
    logLevel: 'warning',
  });
  return outfile;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) await bundleWeb();

/**
 * Builds the deployable code: the two Lambda zips and the server's release zip.
 *
 * Each bundle is one ESM file made by esbuild (minified, linked source map, target node22) with everything
 * inlined except sharp, whose native binaries cannot be bundled: those are installed for Linux + the
 * configured CPU + glibc into a clean folder (`npm install --os=linux --cpu=… --libc=glibc sharp`), cached
 * under .clinica/build/, checked for @img/sharp-linux-<cpu>, and zipped as node_modules/. The watermark font
 * goes beside the entry file, and templates/<x>/ folders the code reads at run time are copied as they are —
 * the code finds both by walking up from its own file, in the zip as in the repo.
 *
 * Zips are deterministic here (sorted entries, fixed timestamps and modes), but deflate's bytes depend on the
 * zlib build: "the code changed" is decided on contentHash, the hash of the entries' names and contents.
 */
import { createHash } from 'node:crypto';
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { ResolvedConfig } from '../config/load.js';
import { ClinicaError } from '../errors.js';
import type { Log } from '../log.js';
import { WATERMARK_FONT_FILE, WATERMARK_FONT_PACKAGE_PATH } from '../imaging/font.js';

export type BundleName = 'image-processor' | 'reminders' | 'server' | 'answers' | 'whatsapp-events';
export type Architecture = 'arm64' | 'x86_64';

export interface BundleSpec {
  name: BundleName;
  /** the entry module, relative to src/ (or dist/), without extension */
  entry: string;
  /** the bundled file's name in the zip */
  outFile: string;
  /** folders of templates/ the code reads at run time */
  templates: string[];
  /** sharp must be in the zip (the image-processor); otherwise only when the code imports it */
  sharp: 'required' | 'if-imported';
}

export const BUNDLES: Record<BundleName, BundleSpec> = {
  'image-processor': { name: 'image-processor', entry: 'lambdas/image-processor', outFile: 'index.mjs', templates: [], sharp: 'required' },
  reminders: { name: 'reminders', entry: 'lambdas/reminders', outFile: 'index.mjs', templates: ['email'], sharp: 'if-imported' },
  server: { name: 'server', entry: 'server/main', outFile: 'main.mjs', templates: ['staff', 'email'], sharp: 'if-imported' },
  answers: { name: 'answers', entry: 'lambdas/patient-answers', outFile: 'index.mjs', templates: [], sharp: 'if-imported' },
  'whatsapp-events': { name: 'whatsapp-events', entry: 'lambdas/whatsapp-events', outFile: 'index.mjs', templates: [], sharp: 'if-imported' },
};

/**
 * SDK clients only deploy and the CLI use. src/aws/clients.ts imports every client lazily, and esbuild would
 * otherwise inline all of them (client-ec2 alone is ~1 MB minified) into every bundle. Left out, a call would
 * resolve to the Lambda runtime's own SDK v3; the deployed code never makes one.
 */
export const PROVISIONING_ONLY = ['@aws-sdk/client-ec2', '@aws-sdk/client-iam', '@aws-sdk/client-lambda', '@aws-sdk/client-ssm', '@aws-sdk/client-sts', '@aws-sdk/client-sns'];

/** Packages that must never reach a deployed bundle (terminal UI, the local stack, build tools). */
const FORBIDDEN = /(?:^|\/)node_modules\/(ora|@inquirer\/[^/]+|inquirer|cli-table3|commander|s3rver|aws-ses-v2-local|esbuild|vitest|playwright-core)\//;

export interface Bundle {
  name: BundleName;
  zip: Buffer;
  /** base64 SHA-256 of the zip: what Lambda reports as CodeSha256 */
  sha256: string;
  hex: string;
  /**
   * SHA-256 (hex) of the entries' names and contents, not of the compressed bytes: deflate output differs
   * between zlib builds and Node versions, so two machines zip the same code into different bytes. This is
   * what "the code changed" is decided on.
   */
  contentHash: string;
  size: number;
  /** size of the bundled JavaScript (before zipping) */
  codeBytes: number;
  files: string[];
  sharp: boolean;
  architecture: Architecture;
}

export interface BuildOptions {
  config: Pick<ResolvedConfig, 'aws' | 'stateDir'>;
  log?: Log;
  /** the package's root (holds src/ or dist/, templates/, node_modules/); default: this package */
  root?: string;
  /** override the entry file (tests use a fixture handler) */
  entryFile?: string;
  /** where installed sharp builds are cached; default CLINICA_BUILD_DIR or <stateDir>/build */
  buildDir?: string;
  /** change parts of the bundle's spec (bench: a baseline without templates) */
  spec?: Partial<Omit<BundleSpec, 'name'>>;
}

const here = dirname(fileURLToPath(import.meta.url));
/** src/infra or dist/infra → the package root */
export const PACKAGE_ROOT = resolve(here, '..', '..');
const runningFromSource = import.meta.url.endsWith('.ts');

export function buildDirFor(config: Pick<ResolvedConfig, 'stateDir'>, env: NodeJS.ProcessEnv = process.env): string {
  return env.CLINICA_BUILD_DIR ? resolve(env.CLINICA_BUILD_DIR) : join(config.stateDir, 'build');
}

/** The entry file: dist/<entry>.js next to built code, src/<entry>.ts next to sources (tests), else the other. */
export function entryFileFor(spec: BundleSpec, root = PACKAGE_ROOT): string {
  const built = join(root, 'dist', `${spec.entry}.js`);
  const source = join(root, 'src', `${spec.entry}.ts`);
  const order = runningFromSource ? [source, built] : [built, source];
  const found = order.find((f) => existsSync(f));
  if (!found) {
    throw new ClinicaError('internal', `cannot bundle the ${spec.name}: its entry point ${relative(root, built)} (or src/${spec.entry}.ts) does not exist`, {
      hint: 'run `npm run build` in the clinica folder (or reinstall clinica) and deploy again',
    });
  }
  return found;
}

const FIXED_TIME = new Date(Date.UTC(2000, 0, 1));

/** A zip whose bytes depend only on the entries' names and contents. */
export async function deterministicZip(entries: Map<string, Buffer>): Promise<Buffer> {
  const { ZipFile } = await import('yazl');
  const zip = new ZipFile();
  for (const name of [...entries.keys()].sort()) {
    zip.addBuffer(entries.get(name)!, name, { mtime: FIXED_TIME, mode: 0o100644, compress: true, forceDosTimestamp: true });
  }
  zip.end();
  const chunks: Buffer[] = [];
  for await (const chunk of zip.outputStream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** SHA-256 over the sorted entries' names and contents (each length-prefixed, so no two sets collide). */
export function contentHash(entries: Map<string, Buffer>): string {
  const hash = createHash('sha256');
  for (const name of [...entries.keys()].sort()) {
    const body = entries.get(name)!;
    hash.update(`${Buffer.byteLength(name)}:${name}:${body.length}:`).update(body);
  }
  return hash.digest('hex');
}

async function addTree(entries: Map<string, Buffer>, dir: string, prefix: string, skip: (rel: string) => boolean = () => false): Promise<void> {
  const walk = async (current: string): Promise<void> => {
    for (const item of await readdir(current, { withFileTypes: true })) {
      const full = join(current, item.name);
      const rel = relative(dir, full).split(sep).join('/');
      if (skip(rel)) continue;
      if (item.isDirectory()) await walk(full);
      else if (item.isFile() || (item.isSymbolicLink() && (await stat(full)).isFile())) entries.set(`${prefix}${rel}`, await readFile(full));
    }
  };
  await walk(dir);
}

export const npmCpu = (arch: Architecture) => (arch === 'arm64' ? 'arm64' : 'x64');

function sharpVersion(root: string): string {
  const candidates = [join(root, 'node_modules', 'sharp', 'package.json')];
  for (const file of candidates) {
    if (existsSync(file)) return (JSON.parse(readFileSync(file, 'utf8')) as { version: string }).version;
  }
  throw new ClinicaError('internal', 'sharp is not installed next to clinica', { hint: 'run `npm ci` in the clinica folder' });
}

/** What a node_modules folder must hold for sharp to load on Lambda/EC2 Linux with this CPU. */
export function checkSharpInstall(nodeModules: string, arch: Architecture): string | undefined {
  const cpu = npmCpu(arch);
  const binaryDir = join(nodeModules, '@img', `sharp-linux-${cpu}`, 'lib');
  const libvipsDir = join(nodeModules, '@img', `sharp-libvips-linux-${cpu}`, 'lib');
  if (!existsSync(join(nodeModules, 'sharp', 'package.json'))) return 'sharp itself is missing';
  if (!existsSync(binaryDir)) return `@img/sharp-linux-${cpu} is missing`;
  if (!existsSync(libvipsDir)) return `@img/sharp-libvips-linux-${cpu} is missing`;
  return undefined;
}

/**
 * node_modules with sharp for linux/<cpu>/glibc, installed once per sharp version and CPU into
 * <buildDir>/sharp-<version>-linux-<cpu>/ (a temp folder renamed into place, so an interrupted install never
 * leaves a half cache). Needs the npm registry the first time.
 */
export async function sharpForLinux(arch: Architecture, options: { buildDir: string; root?: string; log?: Log }): Promise<string> {
  const version = sharpVersion(options.root ?? PACKAGE_ROOT);
  const cpu = npmCpu(arch);
  const target = join(options.buildDir, `sharp-${version}-linux-${cpu}`);
  const nodeModules = join(target, 'node_modules');
  if (existsSync(nodeModules) && !checkSharpInstall(nodeModules, arch)) return nodeModules;
  await mkdir(options.buildDir, { recursive: true });
  const tmp = await mkdtemp(join(options.buildDir, `.sharp-${cpu}-`));
  try {
    await writeFile(join(tmp, 'package.json'), JSON.stringify({ name: 'clinica-native-deps', private: true }) + '\n');
    options.log?.info(`installing sharp ${version} for linux/${cpu} (glibc) into ${target}`);
    const args = ['install', `--os=linux`, `--cpu=${cpu}`, '--libc=glibc', '--omit=dev', '--ignore-scripts', '--no-audit', '--no-fund', '--no-package-lock', '--loglevel=error', `sharp@${version}`];
    try {
      await promisify(execFile)(process.platform === 'win32' ? 'npm.cmd' : 'npm', args, { cwd: tmp, timeout: 300_000, maxBuffer: 16 * 1024 * 1024 });
    } catch (err) {
      const detail = String((err as { stderr?: string }).stderr ?? (err as Error).message).trim().split('\n').slice(-3).join(' ');
      throw new ClinicaError('unavailable', `could not install sharp ${version} for linux/${cpu}: ${detail}`, {
        hint: 'the first build needs the npm registry (check the network or npm config); later builds use the cache in .clinica/build',
        cause: err,
      });
    }
    const problem = checkSharpInstall(join(tmp, 'node_modules'), arch);
    if (problem) throw new ClinicaError('internal', `sharp for linux/${cpu} did not install correctly: ${problem}`, { hint: `delete ${options.buildDir} and deploy again` });
    await rm(join(tmp, 'node_modules', '.package-lock.json'), { force: true });
    await rm(target, { recursive: true, force: true });
    try {
      await rename(tmp, target);
    } catch (err) {
      // another build (a parallel test) got there first: use its copy
      if (!existsSync(nodeModules) || checkSharpInstall(nodeModules, arch)) throw err;
    }
    return nodeModules;
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
}

/** The first forbidden package and the file outside it that imports it. */
function forbiddenImport(meta: import('esbuild').Metafile): { pkg: string; importer: string } | undefined {
  for (const [input, info] of Object.entries(meta.inputs)) {
    if (FORBIDDEN.test(input)) continue;
    for (const imp of info.imports) {
      const m = FORBIDDEN.exec(imp.path);
      if (m) return { pkg: m[1]!, importer: input };
    }
  }
  return undefined;
}

export async function buildBundle(name: BundleName, options: BuildOptions): Promise<Bundle> {
  const spec = { ...BUNDLES[name], ...options.spec };
  const root = options.root ?? PACKAGE_ROOT;
  const arch = options.config.aws.architecture;
  const entry = options.entryFile ?? entryFileFor(spec, root);
  if (!existsSync(entry)) throw new ClinicaError('internal', `cannot bundle the ${name}: ${entry} does not exist`, { hint: 'run `npm run build` and deploy again' });
  const { build } = await import('esbuild');
  const outfile = join(root, spec.outFile);
  let result;
  try {
    result = await build({
      entryPoints: [entry],
      outfile,
      absWorkingDir: root,
      bundle: true,
      write: false,
      platform: 'node',
      format: 'esm',
      target: 'node22',
      minify: true,
      sourcemap: 'linked',
      sourcesContent: false,
      legalComments: 'none',
      metafile: true,
      external: ['sharp', ...PROVISIONING_ONLY],
      define: { 'process.env.CLINICA_BUNDLED': '"1"' }, // the S3 SDK as an import() esbuild follows (aws/clients.ts s3Sdk)
      // an entry file outside the package (the bench's baseline under CLINICA_BUILD_DIR) still uses its dependencies
      nodePaths: [join(root, 'node_modules')],
      // CommonJS dependencies inside an ESM bundle need a require() for Node built-ins
      banner: { js: "import { createRequire as __clinicaRequire } from 'node:module'; const require = __clinicaRequire(import.meta.url);" },
      logLevel: 'silent',
    });
  } catch (err) {
    const first = (err as { errors?: { text: string; location?: { file: string; line: number } }[] }).errors?.[0];
    throw new ClinicaError('internal', `bundling the ${name} failed: ${first ? `${first.location ? `${first.location.file}:${first.location.line}: ` : ''}${first.text}` : (err as Error).message}`, { cause: err });
  }
  const meta = result.metafile!;
  const forbidden = forbiddenImport(meta);
  if (forbidden) {
    throw new ClinicaError('internal', `the ${name} bundle pulls in ${forbidden.pkg} (imported by ${forbidden.importer}): terminal and local-stack code must not reach AWS`, {
      hint: 'keep src/lambdas and src/server free of src/commands, src/ui and the local stack (see ARCHITECTURE.md)',
    });
  }
  const output = Object.values(meta.outputs).find((o) => o.entryPoint);
  const importsSharp = Boolean(output?.imports.some((i) => i.path === 'sharp' && i.external));
  const withSharp = spec.sharp === 'required' || importsSharp;

  const entries = new Map<string, Buffer>();
  let codeBytes = 0;
  for (const file of result.outputFiles) {
    const rel = relative(root, file.path).split(sep).join('/');
    entries.set(rel, Buffer.from(file.contents));
    if (rel === spec.outFile) codeBytes = file.contents.byteLength;
  }
  for (const folder of spec.templates) {
    const dir = join(root, 'templates', folder);
    if (existsSync(dir)) await addTree(entries, dir, `templates/${folder}/`);
  }
  if (withSharp) {
    const nodeModules = await sharpForLinux(arch, { buildDir: options.buildDir ?? buildDirFor(options.config), root, log: options.log });
    await addTree(entries, nodeModules, 'node_modules/', (rel) => rel === '.package-lock.json' || rel === '.bin' || rel.startsWith('.bin/'));
    const font = join(root, 'node_modules', WATERMARK_FONT_PACKAGE_PATH);
    if (!existsSync(font)) throw new ClinicaError('internal', `the watermark font is missing (${font})`, { hint: 'run `npm ci` in the clinica folder' });
    entries.set(WATERMARK_FONT_FILE, await readFile(font));
  }
  const zip = await deterministicZip(entries);
  const digest = createHash('sha256').update(zip).digest();
  return {
    name,
    zip,
    sha256: digest.toString('base64'),
    hex: digest.toString('hex'),
    contentHash: contentHash(entries),
    size: zip.length,
    codeBytes,
    files: [...entries.keys()].sort(),
    sharp: withSharp,
    architecture: arch,
  };
}

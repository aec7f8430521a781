/** Config, bundles and an infra context for the infra tests (always on top of fakeAws: no real AWS). */
import { createHash } from 'node:crypto';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { runCommand } from '../../src/commands/action.js';
import { defaultConfigInput, loadConfig, type GlobalOptions, type ResolvedConfig } from '../../src/config/load.js';
import type { ConfigInput } from '../../src/config/schema.js';
import { memoryLog } from '../../src/log.js';
import type { Bundle, BundleName } from '../../src/infra/bundle.js';
import { openInfra, type InfraContext } from '../../src/infra/context.js';
import { applyPlan, type Plan } from '../../src/infra/plan.js';
import { Ui, type Output } from '../../src/ui/output.js';
import type { FakeAws } from './fake-aws.js';

export const CLINIC_CIDR = '192.168.10.0/24';

export async function testConfig(overrides: Partial<ConfigInput> = {}): Promise<ResolvedConfig> {
  const dir = await mkdtemp(join(tmpdir(), 'clinica-infra-'));
  const input: ConfigInput = {
    ...defaultConfigInput,
    target: 'aws',
    stage: 'prod',
    mail: { sender: 'Clínica Sorriso <lembretes@clinicasorriso.com.br>' },
    // what the site must show (src/site/checks.ts), so a plan warns only about what a test sets up
    site: { ...defaultConfigInput.site, clinicRegistration: 'CRO-SP EPAO 0000', privacy: { dpoName: 'Ana Demo' } },
    ...overrides,
    aws: { region: 'sa-east-1', architecture: 'arm64', sshCidrs: [], bucketPrefix: 'sorriso', ...overrides.aws },
    // the stage as it is served without a domain (port 8080, no DNS): the HTTPS tests set network.domain
    network: { clinicCidrs: [CLINIC_CIDR], trustedProxies: [], serverPort: 8080, plainHttp: !overrides.network?.domain, ...overrides.network },
  };
  const path = join(dir, 'clinica.config.json');
  await writeFile(path, JSON.stringify(input));
  return loadConfig({ config: path }, {});
}

/**
 * Stand-in bundles: a few bytes whose content (and so hash) changes with `versions[name]`. `zippedBy` plays
 * another machine: the same content, other zip bytes (another zlib build).
 */
export function fakeBundles(versions: Partial<Record<BundleName, number>> = {}, zippedBy = 'this machine') {
  return async (name: BundleName): Promise<Bundle> => {
    const content = `fake ${name} bundle v${versions[name] ?? 1}`;
    const zip = Buffer.from(`${content} (zipped by ${zippedBy})`);
    const digest = createHash('sha256').update(zip).digest();
    const contentHash = createHash('sha256').update(content).digest('hex');
    return { name, zip, sha256: digest.toString('base64'), hex: digest.toString('hex'), contentHash, size: zip.length, codeBytes: zip.length, files: ['index.mjs'], sharp: name === 'image-processor', architecture: 'arm64' };
  };
}

export async function openTestInfra(
  fake: FakeAws,
  config: ResolvedConfig,
  versions: Partial<Record<BundleName, number>> = {},
  zippedBy?: string,
): Promise<InfraContext & { logEntries: ReturnType<typeof memoryLog>['entries'] }> {
  const log = memoryLog();
  const ctx = await openInfra(config, { region: fake.region }, { bundles: fakeBundles(versions, zippedBy), sleep: async () => {}, log });
  return Object.assign(ctx, { logEntries: log.entries });
}

/** Applies a plan and throws the first failure (the tests' way to say "this must succeed"). */
export async function apply(plan: Plan) {
  const result = await applyPlan(plan);
  if (result.failed) throw result.failed.error;
  return result;
}

/** A Ui as a script sees it (no terminal, no colour, --yes), with what it printed on stdout and stderr. */
export function testUi(options: { json?: boolean } = {}) {
  const out = new PassThrough();
  const err = new PassThrough();
  let stdout = '';
  let stderr = '';
  out.on('data', (c) => (stdout += c));
  err.on('data', (c) => (stderr += c));
  const ui = new Ui({ yes: true, json: options.json }, { stdout: out, stderr: err, env: { NO_COLOR: '1' }, stdinIsTTY: false });
  return { ui, out: () => stdout, err: () => stderr };
}

/**
 * An infra command function run by the CLI host (runCommand): its result (data for --json, the human view, the
 * exit code) printed on `ui`. `deps` are the fakes the function takes beside the host's input. Returns the exit
 * code; an error of the command or of its result is thrown.
 */
export async function hosted<O extends GlobalOptions, D>(command: (opts: O, ui: Ui, deps?: D) => Promise<Output>, opts: O, ui: Ui, deps?: D): Promise<number> {
  return runCommand<O>((input) => command(input.opts, input.ui, deps), { args: [], opts, ui, command: undefined as never });
}

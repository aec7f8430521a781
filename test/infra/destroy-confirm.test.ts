/**
 * `clinica destroy --delete-patient-data` on a terminal, without --yes: after the "Destroy …?" question the
 * clinic's name must be typed back, and anything else deletes nothing at all; deploy and destroy answered "no"
 * change nothing (in-process, mocked AWS, the prompts answered by the test).
 */
import { Writable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { deploy } from '../../src/commands/infra/deploy.js';
import { destroy } from '../../src/commands/infra/destroy.js';
import type { ResolvedConfig } from '../../src/config/load.js';
import { ClinicaError } from '../../src/errors.js';
import { Ui } from '../../src/ui/output.js';
import { fakeAws, type FakeAws } from './fake-aws.js';
import { fakeBundles, hosted, testConfig, testUi } from './helpers.js';

const asked: string[] = [];
let typed = '';
let answer = true;
vi.mock('@inquirer/prompts', () => ({
  confirm: async ({ message }: { message: string }) => {
    asked.push(message);
    return answer;
  },
  input: async ({ message }: { message: string }) => {
    asked.push(message);
    return typed;
  },
}));

class Terminal extends Writable {
  text = '';
  readonly isTTY = true;
  override _write(chunk: Buffer, _enc: string, cb: () => void) {
    this.text += chunk.toString();
    cb();
  }
}

let fake: FakeAws;
let config: ResolvedConfig;
beforeEach(async () => {
  fake = fakeAws();
  config = await testConfig();
  asked.length = 0;
  answer = true;
});
afterEach(() => fake.restore());

const deps = () => ({ infra: { bundles: fakeBundles(), sleep: async () => {} }, fetcher: async () => ({ status: 200, body: '{}' }) });

async function destroyOnATerminal() {
  await hosted(deploy, { config: config.configPath, yes: true }, testUi().ui, deps());
  fake.clear();
  const { ui, stdout, stderr } = terminalUi();
  const run = hosted(destroy, { config: config.configPath, deletePatientData: true }, ui, deps());
  return { run, stdout, stderr };
}

function terminalUi() {
  const stdout = new Terminal();
  const stderr = new Terminal();
  return { ui: new Ui({}, { stdout, stderr, env: {}, stdinIsTTY: true }), stdout, stderr };
}

describe('destroy --delete-patient-data on a terminal', () => {
  it('a name that is not the clinic\'s deletes nothing — not even the resources the plain destroy would', async () => {
    typed = 'Clinica Sorriso'; // the accent left out: not the name
    const { run, stderr } = await destroyOnATerminal();
    const err = await run.catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ClinicaError);
    expect([(err as ClinicaError).message, (err as ClinicaError).exitCode]).toEqual(['the clinic name did not match: nothing was deleted', 2]);
    expect(asked).toEqual([
      'Destroy 22 resources of stage prod (AWS account 123456789012 (sa-east-1))?',
      `Type the clinic name (${config.clinic.name}) to delete the patient data:`,
    ]);
    expect(stderr.text).toContain(`this deletes EVERY patient record and image in ${config.names.dataBucket}, with all old versions; it cannot be undone`);
    expect(fake.mutating()).toEqual([]);
    expect(fake.state.buckets.has(config.names.dataBucket)).toBe(true);
  });

  it('the clinic\'s name typed back (spaces around it allowed) deletes the stage and the data bucket', async () => {
    typed = `  ${config.clinic.name} `;
    const { run } = await destroyOnATerminal();
    expect(await run).toBe(0);
    expect(asked).toHaveLength(2);
    expect(fake.state.buckets.has(config.names.dataBucket)).toBe(false);
    expect(fake.state.functions.size).toBe(0);
  });
});

describe('deploy and destroy on a terminal, the question answered no', () => {
  it('change nothing in AWS, say "nothing was changed" and exit 1', async () => {
    answer = false;
    const deploying = terminalUi();
    expect(await hosted(deploy, { config: config.configPath }, deploying.ui, deps())).toBe(1);
    expect(deploying.stdout.text).toMatch(/nothing was changed\n$/);
    expect(fake.mutating()).toEqual([]);
    const { run, stdout } = await destroyOnATerminal();
    expect(await run).toBe(1);
    expect(stdout.text).toMatch(/nothing was changed\n$/);
    expect(asked.at(-1)).toBe('Destroy 22 resources of stage prod (AWS account 123456789012 (sa-east-1))?');
    expect(fake.mutating()).toEqual([]);
    expect(fake.state.buckets.has(config.names.dataBucket)).toBe(true);
  });
});

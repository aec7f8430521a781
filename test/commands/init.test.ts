/**
 * `clinica init`: what a real clinic's config gets (no demo content), repairing a broken config with --force,
 * and the prompts checking each answer with the config's own rule.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { defaultConfigInput, loadConfig } from '../../src/config/load.js';
import { Ui } from '../../src/ui/output.js';

/** answers per prompt message prefix: each is tried in turn against the prompt's validate, like a person retyping */
const answers: Record<string, string[]> = {};
const refused: Record<string, string[]> = {};
const asked: string[] = [];
/** the default each prompt offered, by message */
const offered: Record<string, string | undefined> = {};

vi.mock('@inquirer/prompts', () => {
  const answer = async ({ message, validate, default: fallback }: { message: string; validate?: (v: string) => true | string; default?: string }) => {
    asked.push(message);
    offered[message] = fallback;
    const key = Object.keys(answers).find((k) => message.startsWith(k));
    for (const a of key ? answers[key]! : [fallback ?? '']) {
      const verdict = validate ? validate(a) : true;
      if (verdict === true) return a;
      (refused[key!] ??= []).push(verdict);
    }
    throw new Error(`no valid answer for ${message}`);
  };
  return { input: answer, select: answer, confirm: async () => true };
});

class Sink extends Writable {
  text = '';
  constructor(readonly isTTY: boolean) {
    super();
  }
  override _write(chunk: Buffer, _enc: string, cb: () => void) {
    this.text += chunk.toString();
    cb();
  }
}

beforeEach(() => {
  for (const o of [answers, refused, offered]) for (const k of Object.keys(o)) delete o[k];
  asked.length = 0;
});

async function init(options: Record<string, unknown>, { dir = mkdtempSync(join(tmpdir(), 'clinica-init-')), terminal = false } = {}) {
  const [{ default: run }, { runCommand }] = await Promise.all([import('../../src/commands/init/run.js'), import('../../src/commands/action.js')]);
  const stderr = new Sink(terminal);
  const ui = new Ui({ yes: !terminal }, { stdout: new Sink(terminal), stderr, env: {}, stdinIsTTY: terminal });
  const config = join(dir, 'clinica.config.json');
  const code = await runCommand(run, { args: [], opts: { config, ...options }, ui, command: undefined as never });
  return { code, dir, config, stderr, written: () => JSON.parse(readFileSync(config, 'utf8')) };
}

const demoWords = /Demo|fictícia|00000|Rua das Flores|4000-0000|contato@clinica\.example/;

describe('init: demo content is for the demo clinic only', () => {
  it('a real clinic gets what init asked and nothing invented: no demo address, team or site texts', async () => {
    const r = await init({ name: 'Odonto Vida', address: 'Av. Brasil, 500 — Recife', phone: '+55 81 3333-4444', email: 'contato@odontovida.com.br' });
    expect(r.code).toBe(0);
    const written = r.written();
    expect(written.clinic).toMatchObject({ name: 'Odonto Vida', address: 'Av. Brasil, 500 — Recife', phone: '+55 81 3333-4444', email: 'contato@odontovida.com.br' });
    expect(written.site).toBeUndefined();
    expect(JSON.stringify(written)).not.toMatch(demoWords);
    // nothing given: empty, not the demo's
    const bare = await init({ name: 'Clínica Real' });
    expect(bare.written().clinic).toMatchObject({ name: 'Clínica Real', address: '', phone: '', email: '' });
    expect(JSON.stringify(bare.written())).not.toMatch(demoWords);
    expect(loadConfig({ config: bare.config }, {}).site).toBeUndefined();
  });

  it('the demo clinic (no name given) keeps its complete demo site', async () => {
    const r = await init({});
    expect(r.written().clinic.name).toBe(defaultConfigInput.clinic.name);
    expect(r.written().site).toEqual(defaultConfigInput.site);
  });

  it('renaming the demo config to a real clinic drops the demo content and keeps what was edited', async () => {
    const demo = await init({});
    const edited = { ...demo.written(), site: { ...demo.written().site, tagline: 'Sorrisos em Olinda' } };
    writeFileSync(demo.config, JSON.stringify(edited));
    const r = await init({ force: true, name: 'Odonto Olinda', phone: '+55 81 3000-0000' }, { dir: demo.dir });
    const written = r.written();
    expect(written.site).toEqual({ tagline: 'Sorrisos em Olinda' });
    expect(written.clinic).toMatchObject({ name: 'Odonto Olinda', phone: '+55 81 3000-0000', address: '', email: '' });
    expect(JSON.stringify(written)).not.toMatch(demoWords);
  });
});

describe('init: the reminder sender is never made up', () => {
  it('a real clinic without --sender gets none, and is told mail.sender must be set; with --sender, that one', async () => {
    const r = await init({ name: 'Odonto Vida' });
    expect(r.code).toBe(0);
    expect(r.written().mail.sender).toBeUndefined();
    expect(JSON.stringify(r.written())).not.toContain('clinica.example');
    expect(r.stderr.text).toMatch(/warn mail\.sender is not set: reminders need an address of the clinic to be sent from — set "mail": \{ "sender": .*`clinica init --force --sender …`\n/);
    const given = await init({ name: 'Odonto Vida', sender: 'Odonto Vida <lembretes@odontovida.com.br>' });
    expect(given.written().mail.sender).toBe('Odonto Vida <lembretes@odontovida.com.br>');
    expect(given.stderr.text).not.toContain('mail.sender');
  });

  it('the demo clinic keeps its fictional sender (its reminders land in the local outbox)', async () => {
    const r = await init({});
    expect(r.written().mail.sender).toBe(defaultConfigInput.mail!.sender);
    expect(r.stderr.text).not.toContain('mail.sender');
  });

  it('a config an older init wrote with the placeholder sender loses it when re-run for a real clinic, and keeps the rest', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'clinica-init-'));
    writeFileSync(join(dir, 'clinica.config.json'), JSON.stringify({ clinic: { name: 'Odonto Antiga' }, mail: { sender: 'lembretes@clinica.example', replyTo: 'contato@odontoantiga.com.br' } }));
    const r = await init({ force: true, name: 'Odonto Antiga' }, { dir });
    expect(r.written().mail).toEqual({ replyTo: 'contato@odontoantiga.com.br' });
  });

  it('on a terminal a real clinic is asked with no address offered; an empty answer leaves it unset, a bad one is asked again', async () => {
    Object.assign(answers, { 'Clinic name': ['Odonto Prompt'] });
    const none = await init({}, { terminal: true });
    const prompt = asked.find((m) => m.startsWith('Reminder e-mail sender'))!;
    expect(prompt).toContain("an address of the clinic's own domain");
    expect(offered[prompt]).toBeUndefined();
    expect(none.written().mail.sender).toBeUndefined();
    Object.assign(answers, { 'Reminder e-mail sender': ['lembretes@', 'Odonto Prompt <lembretes@odontoprompt.com.br>'] });
    const given = await init({ force: true }, { terminal: true, dir: none.dir });
    expect(refused['Reminder e-mail sender']).toEqual([expect.stringContaining('expected an e-mail address')]);
    expect(given.written().mail.sender).toBe('Odonto Prompt <lembretes@odontoprompt.com.br>');
  });
});

describe('init --force repairs a broken config', () => {
  it.each([
    ['{}', '{}', undefined],
    ['[]', '[]', 'everything (an array instead of a JSON object)'],
    ['null', 'null', 'everything (null instead of a JSON object)'],
    ['not JSON', '{ "clinic": ', 'not valid JSON'],
  ])('%s: starts from the defaults and says so', async (_case, text, warning) => {
    const dir = mkdtempSync(join(tmpdir(), 'clinica-init-'));
    writeFileSync(join(dir, 'clinica.config.json'), text);
    const r = await init({ force: true, name: 'Odonto Nova' }, { dir });
    expect(r.code).toBe(0);
    expect(r.written().clinic.name).toBe('Odonto Nova');
    expect(loadConfig({ config: r.config }, {}).clinic.name).toBe('Odonto Nova');
    if (warning) expect(r.stderr.text).toContain(warning);
  });

  it('keeps the valid settings, drops the invalid ones and names them; never blames a flag that was not given', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'clinica-init-'));
    writeFileSync(
      join(dir, 'clinica.config.json'),
      JSON.stringify({
        clinic: { name: 'Antiga', locale: 'fr', phone: '+55 11 5555-0000' },
        stage: 'PROD',
        network: { clinicCidrs: ['10.9.0.0/16', '10.0.0.1/8'] },
        patients: { retentionYears: 25 },
        colour: 'blue',
      }),
    );
    const r = await init({ force: true, name: 'X' }, { dir });
    expect(r.code).toBe(0);
    const written = r.written();
    expect(written.clinic).toMatchObject({ name: 'X', locale: 'pt-BR', phone: '+55 11 5555-0000' });
    expect(written.stage).toBe('dev');
    expect(written.network.clinicCidrs).toEqual(['10.9.0.0/16']);
    expect(written.patients).toEqual({ retentionYears: 25 });
    expect(written.colour).toBeUndefined();
    expect(r.stderr.text).toContain('clinic.locale ("fr"), stage ("PROD"), network.clinicCidrs.1 ("10.0.0.1/8"), colour ("blue")');
  });

  it('a bad flag value is still refused, naming the flag, and the file is left as it was', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'clinica-init-'));
    writeFileSync(join(dir, 'clinica.config.json'), '{}');
    await expect(init({ force: true, locale: 'fr' }, { dir })).rejects.toThrow(/^--locale \(clinic\.locale\): expected one of .*; nothing was written$/);
    expect(readFileSync(join(dir, 'clinica.config.json'), 'utf8')).toBe('{}');
  });
});

describe('init prompts (terminal)', () => {
  it('checks each answer at its prompt with the config rule, asks again, and writes the valid answers', async () => {
    Object.assign(answers, {
      'Clinic name': ['  ', 'Odonto Prompt'],
      'Public contact e-mail': ['contato@', 'contato@odontoprompt.com.br'],
      'Reminder e-mail sender': ['abc', 'Odonto Prompt <lembretes@odontoprompt.com.br>'],
      'Time zone': ['Mars/Base', 'America/Recife'],
      Target: ['aws'],
      'AWS region': ['brazil', 'sa-east-1'],
      Stage: ['PROD', 'prod'],
      'Clinic network': ['10.0.0.1/8', '10.0.0.0/8, 192.168.1.0/24'],
    });
    const r = await init({}, { terminal: true });
    expect(r.code).toBe(0);
    expect(refused).toEqual({
      'Clinic name': ['expected the clinic name'],
      'Public contact e-mail': [expect.stringContaining('expected an e-mail address')],
      'Reminder e-mail sender': [expect.stringContaining('expected an e-mail address')],
      'Time zone': ['expected an IANA time zone, e.g. "America/Sao_Paulo"'],
      'AWS region': ['expected an AWS region, e.g. "sa-east-1"'],
      Stage: [expect.stringContaining('expected a stage name')],
      'Clinic network': ['expected the network address "10.0.0.0/8" rather than "10.0.0.1/8"'],
    });
    const written = r.written();
    expect(written.clinic).toMatchObject({ name: 'Odonto Prompt', email: 'contato@odontoprompt.com.br', timeZone: 'America/Recife' });
    expect(written).toMatchObject({ target: 'aws', stage: 'prod', aws: { region: 'sa-east-1' }, mail: { sender: 'Odonto Prompt <lembretes@odontoprompt.com.br>' } });
    expect(written.network.clinicCidrs).toEqual(['10.0.0.0/8', '192.168.1.0/24']);
    expect(asked).toHaveLength(12); // the name, 10 more questions, the region (target aws)
  });
});

describe('init: where the file goes', () => {
  it('an empty CLINICA_CONFIG counts as unset: the file goes into the working folder (it was taken for the folder itself)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'clinica-init-'));
    const [{ default: run }, { runCommand }] = await Promise.all([import('../../src/commands/init/run.js'), import('../../src/commands/action.js')]);
    const ui = new Ui({ yes: true }, { stdout: new Sink(false), stderr: new Sink(false), env: {}, stdinIsTTY: false });
    const cwd = process.cwd();
    vi.stubEnv('CLINICA_CONFIG', '');
    process.chdir(dir);
    try {
      expect(await runCommand(run, { args: [], opts: { name: 'Odonto Vazia' }, ui, command: undefined as never })).toBe(0);
    } finally {
      process.chdir(cwd);
      vi.unstubAllEnvs();
    }
    expect(JSON.parse(readFileSync(join(dir, 'clinica.config.json'), 'utf8')).clinic.name).toBe('Odonto Vazia');
  });
});

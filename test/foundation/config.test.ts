import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig, resourceNames } from '../../src/config/load.js';
import { hostBitsClear, networkAddress } from '../../src/config/schema.js';

import { deployableSender, reminderSender, reservedMailDomain } from '../../src/config/mail.js';
import { ClinicaError, oneLine } from '../../src/errors.js';

function project(config: unknown): string {
  const dir = mkdtempSync(join(tmpdir(), 'clinica-config-'));
  writeFileSync(join(dir, 'clinica.config.json'), typeof config === 'string' ? config : JSON.stringify(config));
  return dir;
}

function configError(fn: () => unknown): ClinicaError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ClinicaError);
    return err as ClinicaError;
  }
  throw new Error('expected a ClinicaError');
}

describe('config', () => {
  it('runs on the built-in demo clinic when there is no file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'clinica-empty-'));
    const config = loadConfig({}, {}, dir);
    expect(config.configPath).toBeUndefined();
    expect(config.target).toBe('local');
    expect(config.clinic.timeZone).toBe('America/Sao_Paulo');
    expect(config.clinic.locale).toBe('pt-BR');
    expect(config.stateDir).toBe(join(dir, '.clinica'));
    expect(config.names.dataBucket).toBe('clinica-clinica-sorriso-demo-dev-data');
  });

  it('fills defaults for every optional section', () => {
    const config = loadConfig({}, {}, project({ clinic: { name: 'Odonto Vida' } }));
    expect(config.reminders.rules.map((r) => r.name)).toEqual(['day-before', '2h-before']);
    expect(config.reminders.quietHours).toEqual({ start: '21:00', end: '08:00' });
    expect(config.patients.retentionYears).toBe(20);
    expect(config.images.maxPixels).toBe(50_000_000);
    expect(config.network.clinicCidrs).toEqual(['192.168.0.0/16']);
    expect(config.aws.architecture).toBe('arm64');
  });

  it('names the bad field and the expected value', () => {
    const dir = project({ clinic: { name: 'X', locale: 'fr' } });
    const err = configError(() => loadConfig({}, {}, dir));
    expect(err.kind).toBe('config');
    expect(err.exitCode).toBe(2);
    expect(err.field).toBe('clinic.locale');
    expect(err.message).toContain('clinic.locale');
    expect(err.message).toContain('"pt-BR"|"en"');
    expect(err.message).not.toContain('\n');
  });

  it.each([
    [{ clinic: { name: 'X', timeZone: 'Mars/Olympus' } }, 'clinic.timeZone', 'IANA time zone'],
    [{ clinic: { name: 'X' }, network: { clinicCidrs: ['192.168.1.0/33'] } }, 'network.clinicCidrs.0', 'CIDR'],
    [{ clinic: { name: 'X' }, stage: 'Prod!' }, 'stage', 'stage name'],
    [{ clinic: { name: 'X' }, aws: { region: 'brazil' } }, 'aws.region', 'AWS region'],
    [{ clinic: { name: '' } }, 'clinic.name', 'clinic name'],
    [{ clinic: { name: 'X' }, reminders: { rules: [{ name: 'both', dayBeforeAt: '09:00', leadMinutes: 60 }] } }, 'reminders.rules.0', 'exactly one'],
    // a rule's name keys its reminder records: a second rule of the same name would never be sent
    [{ clinic: { name: 'X' }, reminders: { rules: [{ name: 'day-before', dayBeforeAt: '09:00' }, { name: 'day-before', leadMinutes: 1440 }] } }, 'reminders.rules.1.name', 'its own name'],
    [{ clinic: { name: 'X' }, colour: 'blue' }, '(top level)', 'colour'],
  ])('rejects %j at %s', (raw, field, words) => {
    const err = configError(() => loadConfig({}, {}, project(raw)));
    expect(err.field).toBe(field);
    expect(err.message).toContain(words);
  });

  it.each([
    ['{}', 'clinic', 'expected object'],
    ['[]', '(top level)', 'expected object, received array'],
    ['null', '(top level)', 'expected object, received null'],
  ])('a file holding %s is a config error naming the field (exit 2), not a crash', (text, field, words) => {
    const err = configError(() => loadConfig({}, {}, project(text)));
    expect([err.kind, err.exitCode, err.field]).toEqual(['config', 2, field]);
    expect(err.message).toContain(`${field}: ${words}`);
  });

  it('reports invalid JSON as a config error with the file name', () => {
    const dir = project('{ "clinic": ');
    const err = configError(() => loadConfig({}, {}, dir));
    expect(err.kind).toBe('config');
    expect(err.message).toContain('not valid JSON');
    expect(err.message).toContain(join(dir, 'clinica.config.json'));
  });

  it('a missing --config file is a config error, not a stack', () => {
    const err = configError(() => loadConfig({ config: '/nonexistent/clinica.json' }, {}, '/'));
    expect(err.kind).toBe('config');
    expect(oneLine(err)).toBe('/nonexistent/clinica.json does not exist (from --config) — check the --config path, or write the file there with `clinica init`');
  });

  it('a missing file named by CLINICA_CONFIG blames the variable, not a --config that was never given', () => {
    const err = configError(() => loadConfig({}, { CLINICA_CONFIG: '/nonexistent/clinica.json' }, '/'));
    expect(err.kind).toBe('config');
    expect(oneLine(err)).toBe('/nonexistent/clinica.json does not exist (from CLINICA_CONFIG) — check the CLINICA_CONFIG path, or write the file there with `clinica init`');
  });

  it('applies flags over environment over file', () => {
    const dir = project({ clinic: { name: 'X' }, stage: 'file', aws: { region: 'sa-east-1', profile: 'fileprofile' } });
    const fromFile = loadConfig({}, {}, dir);
    expect([fromFile.stage, fromFile.aws.region, fromFile.aws.profile]).toEqual(['file', 'sa-east-1', 'fileprofile']);
    const env = { CLINICA_STAGE: 'envstage', AWS_REGION: 'us-east-1', AWS_PROFILE: 'envprofile', CLINICA_TARGET: 'aws' };
    const fromEnv = loadConfig({}, env, dir);
    expect([fromEnv.stage, fromEnv.aws.region, fromEnv.aws.profile, fromEnv.target]).toEqual(['envstage', 'us-east-1', 'envprofile', 'aws']);
    const fromFlags = loadConfig({ stage: 'flag', region: 'eu-west-1', profile: 'flagprofile', endpointUrl: 'http://localhost:1' }, env, dir);
    expect([fromFlags.stage, fromFlags.aws.region, fromFlags.aws.profile, fromFlags.aws.endpointUrl]).toEqual(['flag', 'eu-west-1', 'flagprofile', 'http://localhost:1']);
    expect(fromFlags.names.dataBucket).toBe('clinica-x-flag-data');
  });

  it('validates a stage given by flag or environment', () => {
    const dir = project({ clinic: { name: 'X' } });
    expect(configError(() => loadConfig({ stage: 'BAD STAGE' }, {}, dir)).field).toBe('stage');
    expect(configError(() => loadConfig({}, { CLINICA_TARGET: 'cloud' }, dir)).field).toBe('target');
  });

  it.each([
    [{ region: 'not a region' }, {}, '--region "not a region": expected an AWS region', 'aws.region'],
    [{}, { AWS_REGION: 'brazil' }, 'AWS_REGION "brazil": expected an AWS region', 'aws.region'],
    [{ endpointUrl: 'notaurl' }, {}, '--endpoint-url "notaurl": expected an http(s) URL', 'aws.endpointUrl'],
    [{}, { CLINICA_ENDPOINT_URL: 'ftp://x' }, 'CLINICA_ENDPOINT_URL "ftp://x": expected an http(s) URL', 'aws.endpointUrl'],
    [{ stage: 'PROD' }, {}, '--stage "PROD": expected a stage name', 'stage'],
    [{}, { CLINICA_STAGE: 'Prod!' }, 'CLINICA_STAGE "Prod!": expected a stage name', 'stage'],
    [{}, { CLINICA_TARGET: 'cloud' }, 'CLINICA_TARGET "cloud": expected one of "local"|"aws"', 'target'],
  ])('a flag or environment override %j %j gets the file\'s rule: a usage error naming its source', (flags, env, message, field) => {
    const err = configError(() => loadConfig(flags, env, project({ clinic: { name: 'X' } })));
    expect([err.kind, err.exitCode, err.field]).toEqual(['usage', 2, field]);
    expect(err.message).toContain(message);
  });

  it('an empty environment variable counts as unset', () => {
    const dir = project({ clinic: { name: 'X' }, target: 'aws', stage: 'prod', aws: { region: 'us-east-1', profile: 'clinic' } });
    const empty = { AWS_REGION: '', AWS_DEFAULT_REGION: '', AWS_PROFILE: '', CLINICA_ENDPOINT_URL: '', CLINICA_STAGE: '', CLINICA_TARGET: '', CLINICA_CONFIG: '' };
    const config = loadConfig({}, empty, dir);
    // CLINICA_TARGET="" is not refused as a target, CLINICA_CONFIG="" still finds the file in the folder
    expect([config.configPath, config.target, config.stage, config.aws.region, config.aws.profile, config.aws.endpointUrl]).toEqual([
      join(dir, 'clinica.config.json'), 'aws', 'prod', 'us-east-1', 'clinic', undefined,
    ]);
    // and an empty variable does not hide the next source: AWS_DEFAULT_REGION after an empty AWS_REGION
    expect(loadConfig({}, { ...empty, AWS_DEFAULT_REGION: 'eu-west-1' }, dir).aws.region).toBe('eu-west-1');
  });

  it('finds the config in a parent folder', () => {
    const dir = project({ clinic: { name: 'Parent Clinic' } });
    const child = join(dir, 'sub');
    mkdirSync(child);
    expect(loadConfig({}, {}, child).clinic.name).toBe('Parent Clinic');
  });

  it('a command in a subfolder of a clinic without a config file uses the folder that holds .clinica/', () => {
    // `clinica dev` on the built-in demo clinic keeps its state (endpoints.json) in <folder>/.clinica
    const dir = mkdtempSync(join(tmpdir(), 'clinica-state-'));
    mkdirSync(join(dir, '.clinica'));
    const child = join(dir, 'images', '2026');
    mkdirSync(child, { recursive: true });
    const config = loadConfig({}, {}, child);
    expect(config.stateDir).toBe(join(dir, '.clinica'));
    expect(config.projectDir).toBe(dir);
  });

  it('the nearest of clinica.config.json and .clinica/ wins, as git finds its repository', () => {
    const dir = project({ clinic: { name: 'Outer Clinic' } });
    const inner = join(dir, 'branch');
    mkdirSync(join(inner, '.clinica'), { recursive: true });
    expect(loadConfig({}, {}, inner).stateDir).toBe(join(inner, '.clinica'));
    expect(loadConfig({}, {}, dir).clinic.name).toBe('Outer Clinic');
  });

  it('accepts a config file saved with a byte-order mark (Notepad)', () => {
    const dir = project('\uFEFF' + JSON.stringify({ clinic: { name: 'Clínica BOM' } }));
    expect(loadConfig({}, {}, dir).clinic.name).toBe('Clínica BOM');
  });

  it('lists every invalid field, with their count, on the one line', () => {
    const dir = project({ clinic: { name: 'X', locale: 'fr', timeZone: 'Mars/Olympus' }, aws: { region: 'brazil' } });
    const err = configError(() => loadConfig({}, {}, dir));
    expect(err.field).toBe('clinic.timeZone'); // the first one zod reports
    expect(err.message).toContain('3 problems');
    for (const field of ['clinic.locale', 'clinic.timeZone', 'aws.region']) expect(err.message).toContain(`${field}:`);
    expect(oneLine(err)).toContain('aws.region');
  });

  it('makes DNS-safe bucket names from any clinic name', () => {
    const names = resourceNames({ clinic: { ...parseDefaults().clinic, name: 'Clínica Odontológica São João & Filhos <Ltda>' }, stage: 'prod', aws: parseDefaults().aws });
    expect(names.dataBucket).toMatch(/^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$/);
    expect(names.dataBucket).toBe('clinica-clinica-odontologica-sao-joao-prod-data');
    expect(names.siteBucket.endsWith('-prod-site')).toBe(true);
  });
});

function parseDefaults() {
  return loadConfig({}, {}, mkdtempSync(join(tmpdir(), 'clinica-d-')));
}


describe('CIDR validation', () => {
  it.each([
    ['192.168.1.0/24', true],
    ['10.0.0.0/8', true],
    ['203.0.113.7/32', true],
    ['0.0.0.0/0', true],
    ['2001:db8::/32', true],
    ['2001:db8:abcd:12::/64', true],
    ['::ffff:10.0.0.0/104', true],
    ['192.168.1.10/24', false],
    ['10.0.0.1/8', false],
    ['2001:db8::1/64', false],
  ])('%s → network address: %s', (value, ok) => {
    expect(hostBitsClear(value)).toBe(ok);
  });

  it('names the network address a host-bits CIDR should have been', () => {
    const err = configError(() => loadConfig({}, {}, project({ clinic: { name: 'X' }, network: { clinicCidrs: ['192.168.1.0/24', '192.168.1.10/24'] } })));
    expect(err.field).toBe('network.clinicCidrs.1');
    expect(err.message).toContain('expected the network address "192.168.1.0/24" rather than "192.168.1.10/24"');
    // the address meant, not an example: another network gets its own
    const other = configError(() => loadConfig({}, {}, project({ clinic: { name: 'X' }, network: { clinicCidrs: ['10.20.30.40/16'] } })));
    expect(other.message).toContain('expected the network address "10.20.0.0/16" rather than "10.20.30.40/16"');
  });

  it.each([
    ['10.0.0.1/8', '10.0.0.0/8'],
    ['203.0.113.77/28', '203.0.113.64/28'],
    ['2001:db8::1/64', '2001:db8::/64'],
    ['2001:db8:abcd:12:1::/48', '2001:db8:abcd::/48'],
    ['fd00:1:2:3::9/127', 'fd00:1:2:3::8/127'],
  ])('%s clears to the network address %s', (value, network) => {
    expect(networkAddress(value)).toBe(network);
    expect(hostBitsClear(network)).toBe(true);
  });
});

describe('clinic contact e-mail', () => {
  it('is optional but, when given, must be an address', () => {
    expect(loadConfig({}, {}, project({ clinic: { name: 'X', email: '' } })).clinic.email).toBe('');
    expect(loadConfig({}, {}, project({ clinic: { name: 'X', email: 'contato@odonto.com.br' } })).clinic.email).toBe('contato@odonto.com.br');
    const err = configError(() => loadConfig({}, {}, project({ clinic: { name: 'X', email: 'nope' } })));
    expect(err.field).toBe('clinic.email');
    expect(err.message).toContain('expected an e-mail address');
  });
});

describe('reminder sender (mail.sender, mail.replyTo)', () => {
  it.each(['lembretes@clinica.com.br', 'Clínica Sorriso <lembretes@clinica.com.br>', '"Sorriso, Centro" <lembretes@clinica.com.br>'])('accepts %s', (sender) => {
    expect(loadConfig({}, {}, project({ clinic: { name: 'X' }, mail: { sender, replyTo: sender } })).mail.sender).toBe(sender);
  });

  it.each(['abc', 'Clínica <abc>', 'lembretes@', 'Sorriso, Centro <lembretes@clinica.com.br>', 'a@b.com, c@d.com'])('refuses %s, naming the field', (sender) => {
    const err = configError(() => loadConfig({}, {}, project({ clinic: { name: 'X' }, mail: { sender } })));
    expect(err.field).toBe('mail.sender');
    expect(err.message).toContain('expected an e-mail address');
    const reply = configError(() => loadConfig({}, {}, project({ clinic: { name: 'X' }, mail: { replyTo: sender } })));
    expect(reply.field).toBe('mail.replyTo');
  });

  it('has no made-up default: a clinic without one loads, and asking for its sender is a config error naming mail.sender', () => {
    const config = loadConfig({}, {}, project({ clinic: { name: 'Odonto Vida' } }));
    expect(config.mail.sender).toBeUndefined();
    const err = configError(() => reminderSender(config));
    expect([err.kind, err.exitCode, err.field]).toEqual(['config', 2, 'mail.sender']);
    expect(oneLine(err)).toBe(
      'mail.sender is not set: reminders need an address of the clinic to be sent from — set "mail": { "sender": "Clínica <lembretes@your-domain>" } in clinica.config.json, or run `clinica init --force --sender …`',
    );
    // the demo clinic (no file) sends to the local outbox from its own fictional address
    expect(reminderSender(loadConfig({}, {}, mkdtempSync(join(tmpdir(), 'clinica-empty-'))))).toBe('lembretes@clinica.example');
  });

  it('knows the domains reserved for examples, which can never send', () => {
    for (const a of ['x@clinica.example', 'x@EXAMPLE.COM', 'x@mail.example.org', 'x@a.test', 'x@a.invalid', 'x@localhost']) expect(reservedMailDomain(a), a).toBeDefined();
    for (const a of ['x@clinicasorriso.com.br', 'x@example.com.br', 'x@myexample.com', 'x@testes.com']) expect(reservedMailDomain(a), a).toBeUndefined();
    expect(() => deployableSender({ mail: { sender: 'Clínica <x@clinicasorriso.com.br>' } })).not.toThrow();
  });
});

import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { ZodDefault, ZodObject, ZodOptional, type z } from 'zod';
import { ClinicaError } from '../errors.js';
import { writeJsonFile } from '../json-file.js';
import { configSchema, type Config, type ConfigInput } from './schema.js';

export const CONFIG_FILE = 'clinica.config.json';

/** The global flags every command accepts (see src/cli.ts). */
export interface GlobalOptions {
  config?: string;
  stage?: string;
  profile?: string;
  region?: string;
  endpointUrl?: string;
  json?: boolean;
  yes?: boolean;
  verbose?: boolean;
  quiet?: boolean;
}

export interface ResolvedConfig extends Config {
  /** where the file was read from; undefined when running on built-in defaults (no file yet) */
  configPath?: string;
  /** the folder that holds clinica.config.json (or the working folder) */
  projectDir: string;
  /** `.clinica/` beside the config: local stack data, outputs, caches */
  stateDir: string;
  names: ResourceNames;
}

export interface ResourceNames {
  prefix: string;
  dataBucket: string;
  siteBucket: string;
}

/** What a fresh clone runs on: a demo clinic on the local target. */
export const defaultConfigInput: ConfigInput = {
  clinic: {
    name: 'Clínica Sorriso (demo)',
    address: 'Rua das Flores, 123 — Centro, São Paulo — SP, 01000-000',
    phone: '+55 11 4000-0000',
    email: 'contato@clinica.example',
    timeZone: 'America/Sao_Paulo',
    locale: 'pt-BR',
  },
  target: 'local',
  stage: 'dev',
  // the demo clinic's reminders land in the local outbox (clinica dev); deploy refuses this reserved domain
  mail: { sender: 'lembretes@clinica.example' },
  // the demo clinic's public site, so `clinica dev` shows a complete one (synthetic: fake names and numbers)
  site: {
    tagline: 'Odontologia de família no centro de São Paulo (clínica fictícia de demonstração)',
    presentation:
      'Cuidamos do sorriso de toda a família com calma, explicação clara de cada etapa e atenção à prevenção. Esta é uma clínica de demonstração do clinica: nomes e números são fictícios.',
    services: [
      { name: 'Limpeza e prevenção', description: 'Profilaxia, aplicação de flúor e orientação de higiene para adultos e crianças.' },
      { name: 'Restaurações', description: 'Restaurações em resina da cor do dente.' },
      { name: 'Tratamento de canal', description: 'Endodontia com anestesia e radiografia digital.' },
      { name: 'Clareamento', description: 'Clareamento de consultório e caseiro supervisionado.' },
    ],
    team: [
      { name: 'Dra. Ana Demo', role: 'Clínica geral e prevenção', cro: 'CRO-SP 00000' },
      { name: 'Dr. Bruno Demo', role: 'Endodontia', cro: 'CRO-SP 00001' },
      { name: 'Dr. Caio Demo', role: 'Odontopediatria', cro: 'CRO-SP 00002' },
    ],
    hours: [
      { days: ['mon', 'tue', 'wed', 'thu', 'fri'], open: '08:00', close: '18:00' },
      { days: ['sat'], open: '08:00', close: '12:00' },
    ],
    mapQuery: 'Rua das Flores, 123, São Paulo',
    responsibleDentist: { name: 'Dra. Ana Demo', cro: 'CRO-SP 00000' },
    clinicRegistration: 'CRO-SP EPAO 00000',
    // a small clinic's dentist in charge often acts as its encarregado (LGPD art. 41)
    privacy: { dpoName: 'Dra. Ana Demo' },
  },
};

export function slug(text: string): string {
  return text
    .normalize('NFD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '');
}

export function resourceNames(config: Pick<Config, 'clinic' | 'stage' | 'aws'>): ResourceNames {
  const prefix = config.aws.bucketPrefix ?? `clinica-${slug(config.clinic.name).slice(0, 30).replace(/-+$/, '') || 'clinic'}`;
  return { prefix, dataBucket: `${prefix}-${config.stage}-data`, siteBucket: `${prefix}-${config.stage}-site` };
}

/** A schema problem in words: 'expected one of "pt-BR"|"en"' (zod's "Invalid option: " prefix dropped). */
function issueText(issue: z.core.$ZodIssue): string {
  return issue.message.replace(/^Invalid (input|option): /, '');
}

/**
 * "clinic.locale: expected one of "pt-BR"|"en"" — naming the field. With several problems, all of them on the
 * one line with their count ("3 problems: a: …; b: …; c: …"), so one edit of the file fixes them all.
 */
export function describeIssues(error: z.ZodError, file: string): ClinicaError {
  const problems = error.issues.map((issue) => `${issue.path.join('.') || '(top level)'}: ${issueText(issue)}`);
  const listed = problems.length > 1 ? `${problems.length} problems: ${problems.join('; ')}` : problems[0];
  return new ClinicaError('config', `${file}: ${listed}`, {
    field: error.issues[0]!.path.join('.') || '(top level)',
    hint: `fix ${problems.length > 1 ? 'them' : 'it'} in ${file}, or run \`clinica init\` to write a new one`,
  });
}

export function parseConfig(raw: unknown, file = CONFIG_FILE): Config {
  const parsed = configSchema.safeParse(raw);
  if (!parsed.success) throw describeIssues(parsed.error, file);
  return parsed.data;
}

/**
 * The config schema's rule for one field ("aws.region", "network.clinicCidrs"): what is wrong with `value`, in
 * words, or undefined when it is valid. Prompts and flag overrides check a single value with it.
 */
export function fieldProblem(path: string, value: unknown): string | undefined {
  let schema: z.ZodType = configSchema;
  for (const key of path.split('.')) {
    while (schema instanceof ZodDefault || schema instanceof ZodOptional) schema = schema.unwrap() as z.ZodType;
    const field = schema instanceof ZodObject ? (schema.shape as Record<string, z.ZodType>)[key] : undefined;
    if (!field) throw new Error(`no config field ${path}`);
    schema = field;
  }
  const parsed = schema.safeParse(value);
  return parsed.success ? undefined : issueText(parsed.error.issues[0]!);
}

/**
 * What can be kept of a config file that does not validate: each value the schema refuses is dropped (a bad
 * list item alone), so that defaults or new answers take its place. Values that are missing are left to the
 * caller. `dropped` names what went, e.g. 'clinic.locale ("fr")'.
 */
export function validParts(raw: unknown): { input: Record<string, unknown>; dropped: string[] } {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    return { input: {}, dropped: [`everything (${raw === null ? 'null' : Array.isArray(raw) ? 'an array' : typeof raw} instead of a JSON object)`] };
  }
  const input = structuredClone(raw) as Record<string, unknown>;
  const dropped: string[] = [];
  // one problem at a time: dropping a list item shifts the paths of the problems after it
  for (let round = 0; round < 500; round++) {
    const parsed = configSchema.safeParse(input);
    if (parsed.success) break;
    const problems = parsed.error.issues.flatMap((issue) =>
      issue.code === 'unrecognized_keys' ? issue.keys.map((key) => [...issue.path, key]) : [issue.path],
    );
    let gone: string | undefined;
    for (const path of problems) {
      // a problem inside a list item drops that item, not the whole list
      gone = removeAt(input, path.slice(0, path.findIndex((k) => typeof k === 'number') + 1 || undefined));
      if (gone) break;
    }
    if (!gone) break; // only missing values are left
    dropped.push(gone);
  }
  return { input, dropped };
}

/** Removes the value at `path` (a list item is spliced out); returns 'path (value)', or undefined if nothing is there. */
function removeAt(root: Record<string, unknown>, path: PropertyKey[]): string | undefined {
  if (!path.length) return undefined;
  let parent: unknown = root;
  for (const key of path.slice(0, -1)) parent = (parent as Record<PropertyKey, unknown> | undefined)?.[key];
  const last = path[path.length - 1]!;
  if (typeof parent !== 'object' || parent === null) return undefined;
  const value = (parent as Record<PropertyKey, unknown>)[last];
  if (value === undefined) return undefined;
  if (Array.isArray(parent) && typeof last === 'number') parent.splice(last, 1);
  else delete (parent as Record<PropertyKey, unknown>)[last];
  const shown = JSON.stringify(value) ?? String(value);
  return `${path.join('.')} (${shown.length > 40 ? `${shown.slice(0, 37)}…` : shown})`;
}

/**
 * The clinic's folder, as git finds its repository: the nearest folder, from `start` up, that holds
 * clinica.config.json or a `.clinica/` folder (a clinic running on the built-in defaults has only the latter).
 * A command run in a subfolder (images/, exports/) thus reaches the same config and the same `clinica dev`.
 */
export function findProjectDir(start: string): { dir: string; config?: string } | undefined {
  let dir = resolve(start);
  for (;;) {
    const candidate = resolve(dir, CONFIG_FILE);
    if (existsSync(candidate)) return { dir, config: candidate };
    if (isDirectory(resolve(dir, STATE_DIR))) return { dir };
    const parent = dirname(dir);
    if (parent === dir) return undefined;
    dir = parent;
  }
}

const STATE_DIR = '.clinica';

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

/**
 * Reads clinica.config.json (from --config, CLINICA_CONFIG, or the working folder and its parents), validates
 * it, and applies environment and flag overrides: flags > environment > file > defaults.
 * Without a file, clinica runs on the built-in demo clinic with target `local` (what `clinica dev` needs on a
 * fresh clone); pass `require: true` for commands that must not.
 */
export function loadConfig(
  options: GlobalOptions = {},
  env: NodeJS.ProcessEnv = process.env,
  cwd: string = process.cwd(),
): ResolvedConfig {
  const explicit = options.config ?? env.CLINICA_CONFIG;
  const found = explicit ? undefined : findProjectDir(cwd);
  const path = explicit ? resolve(cwd, explicit) : found?.config;
  let raw: unknown = defaultConfigInput;
  if (path) {
    let text: string;
    try {
      text = readFileSync(path, 'utf8');
    } catch (err) {
      // the path came from --config or CLINICA_CONFIG (a cron line sets the variable, not the flag)
      const source = options.config ? '--config' : 'CLINICA_CONFIG';
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' && explicit) {
        throw new ClinicaError('config', `${path} does not exist (from ${source})`, {
          hint: `check the ${source} path, or write the file there with \`clinica init\``,
        });
      }
      throw new ClinicaError('config', `cannot read ${path}: ${code ?? err}`, {
        hint: explicit ? `check the ${source} path and the file's permissions` : 'check the file permissions',
      });
    }
    try {
      // Notepad (and Excel's "UTF-8" text) saves a byte-order mark that JSON.parse refuses
      raw = JSON.parse(text.replace(/^\uFEFF/, ''));
    } catch (err) {
      throw new ClinicaError('config', `${path}: not valid JSON (${(err as Error).message})`, {
        hint: 'fix the syntax, or run `clinica init` to write a new file',
      });
    }
  }
  const base = parseConfig(raw, path ?? CONFIG_FILE);
  return applyOverrides(base, options, env, path, path ? dirname(path) : (found?.dir ?? resolve(cwd)));
}

function applyOverrides(
  config: Config,
  options: GlobalOptions,
  env: NodeJS.ProcessEnv,
  configPath: string | undefined,
  projectDir: string,
): ResolvedConfig {
  const stage = override('stage', [['--stage', options.stage], ['CLINICA_STAGE', env.CLINICA_STAGE]], config.stage);
  const target = override('target', [['CLINICA_TARGET', env.CLINICA_TARGET as Config['target'] | undefined]], config.target);
  const aws = {
    ...config.aws,
    region: override('aws.region', [['--region', options.region], ['AWS_REGION', env.AWS_REGION], ['AWS_DEFAULT_REGION', env.AWS_DEFAULT_REGION]], config.aws.region),
    profile: override('aws.profile', [['--profile', options.profile], ['AWS_PROFILE', env.AWS_PROFILE]], config.aws.profile),
    endpointUrl: override('aws.endpointUrl', [['--endpoint-url', options.endpointUrl], ['CLINICA_ENDPOINT_URL', env.CLINICA_ENDPOINT_URL]], config.aws.endpointUrl),
  };
  const resolved = { ...config, stage, target, aws };
  return {
    ...resolved,
    configPath,
    projectDir,
    stateDir: resolve(projectDir, STATE_DIR),
    names: resourceNames(resolved),
  };
}

/**
 * The first value given by a flag or an environment variable (an empty variable counts as unset), else the
 * file's. It must pass the file's own rule; a bad one is a usage error naming where it came from.
 */
function override<T extends string | undefined>(field: string, sources: [source: string, value: T | undefined][], fromFile: T): T {
  const given = sources.find(([source, value]) => value !== undefined && (value !== '' || source.startsWith('--')));
  if (!given) return fromFile;
  const [source, value] = given;
  const problem = fieldProblem(field, value);
  if (problem) {
    throw new ClinicaError('usage', `${source} "${value}": ${problem}`, {
      field,
      hint: source.startsWith('--') ? undefined : `fix or unset ${source}`,
    });
  }
  return value as T;
}

/** Validates and writes the file atomically (temp file + rename), with a trailing newline. */
export async function saveConfig(path: string, input: ConfigInput): Promise<Config> {
  const config = parseConfig(input, path);
  await writeJsonFile(path, input, { mode: 0o644 });
  return config;
}

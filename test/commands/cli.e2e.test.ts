import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { spawn } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BIN, runCli } from '../helpers/cli.js';

const ANSI = new RegExp(String.fromCharCode(27) + "\\[");
const tempProject = () => mkdtempSync(join(tmpdir(), 'clinica-e2e-'));
const version = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')).version;

describe('the built CLI', () => {
  it('prints its version and help, with the exit codes documented', async () => {
    const v = await runCli(['--version']);
    expect(v).toMatchObject({ code: 0, stdout: `${version}\n` });
    const help = await runCli(['--help']);
    expect(help.code).toBe(0);
    for (const command of ['init', 'dev', 'deploy', 'status', 'destroy', 'patients', 'appointments', 'upload', 'remind']) {
      expect(help.stdout).toMatch(new RegExp(`^  ${command}\\b`, 'm'));
    }
    expect(help.stdout).toContain('3  partial failure in bulk work');
    expect(help.stdout).toContain('--endpoint-url <url>');
    expect(help.stdout.match(/Exit codes:/g)).toHaveLength(1);
    expect(help.stdout).toContain('CLINICA_TARGET');
  });

  it("a command's --help shows its own options, not the exit codes again, and names only commands that exist", async () => {
    for (const args of [['patients', '--help'], ['patients', 'list', '--help'], ['deploy', '--help']]) {
      const help = await runCli(args);
      expect(help.code).toBe(0);
      expect(help.stdout).not.toContain('Exit codes:');
      expect(help.stdout).not.toContain('Environment:');
    }
    const patients = await runCli(['patients', '--help']);
    const described = /patient records: ([^]*?)\n\n/.exec(patients.stdout)![1]!.replace(/\s+/g, ' ');
    const listed = [...patients.stdout.matchAll(/^ {2}(\w[\w-]*)\b/gm)].map((m) => m[1]);
    for (const name of described.replace(/\(.*?\)/g, '').split(/,\s*/)) expect(listed).toContain(name.trim());
  });

  it('exits 2 with a suggestion on an unknown command or option', async () => {
    const cmd = await runCli(['patiens']);
    expect(cmd.code).toBe(2);
    expect(cmd.stderr).toContain("unknown command 'patiens'");
    expect(cmd.stderr).toContain('(Did you mean patients?)');
    const opt = await runCli(['dev', '--dem']);
    expect(opt.code).toBe(2);
    expect(opt.stderr).toContain("unknown option '--dem'");
    expect(opt.stderr).toContain('(Did you mean --demo?)');
    // `help` with an unknown topic says so too, instead of printing the whole help
    for (const [args, name, suggestion] of [[['help', 'stauts'], 'stauts', 'status'], [['patients', 'help', 'lst'], 'lst', 'list']] as const) {
      const help = await runCli([...args]);
      expect(help.code).toBe(2);
      expect(help.stderr).toContain(`unknown command '${name}'\n(Did you mean ${suggestion}?)`);
      expect(help.stdout + help.stderr).not.toContain('Usage:');
    }
    const known = await runCli(['help', 'status']);
    expect(known.code).toBe(0);
    expect(known.stdout).toMatch(/^Usage: clinica status/);
  });

  it('--version, --help and a command\'s --help load only the launcher; an unknown command only the bundled front (commander)', async () => {
    // a resolve hook that names every module loaded, so a declaration that pulls in zod, the AWS SDK, sharp,
    // ora or inquirer (90–240 ms each) fails here, not only in the start-up benchmark
    const dir = tempProject();
    // the hooks run on their own thread: writing to fd 2 directly, not through process.stderr (forwarded to the
    // main thread later), keeps a line from being lost when a fast `--version` exits first
    writeFileSync(join(dir, 'hooks.mjs'), "import { writeSync } from 'node:fs'; export async function resolve(s, c, next) { const r = await next(s, c); if (!r.url.startsWith('node:')) writeSync(2, 'LOADED ' + r.url + '\\n'); return r; }\n");
    writeFileSync(join(dir, 'register.mjs'), "import { register } from 'node:module'; register(new URL('./hooks.mjs', import.meta.url));\n");
    const loaded = (args: string[]) =>
      new Promise<string[]>((resolve) => {
        const child = spawn(process.execPath, ['--import', join(dir, 'register.mjs'), BIN, ...args], { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, NO_COLOR: '1', CI: '1' } });
        let stderr = '';
        child.stderr.on('data', (c) => (stderr += c));
        child.on('exit', () => resolve([...stderr.matchAll(/^LOADED file:\/\/(.*)$/gm)].map((m) => m[1]!)));
      });
    const front = [BIN, join(BIN, '..', '..', 'dist', 'cli.js')];
    // help to a pipe is printed from dist/help.json (a file read, not a module)
    for (const args of [['--version'], ['--help'], ['deploy', '--help'], ['patients', '--help']]) {
      expect(await loaded(args), args.join(' ')).toEqual([BIN]);
    }
    expect(await loaded(['stauts'])).toEqual(front);
  });

  it('a reader that closes early (`| head`) ends it quietly with the status of SIGPIPE, not an EPIPE crash', async () => {
    const run = (args: string[], close: ('stdout' | 'stderr')[]) =>
      new Promise<{ code: number | null; stderr: string }>((resolve) => {
        const child = spawn(process.execPath, [BIN, ...args], { cwd: tempProject(), stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NO_COLOR: '1', CI: '1' } });
        for (const stream of close) child[stream].destroy(); // closed before clinica writes a byte
        let stderr = '';
        if (!close.includes('stderr')) child.stderr.on('data', (c) => (stderr += c));
        child.on('exit', (code) => resolve({ code, stderr }));
      });
    for (const [args, close] of [
      [['--version'], ['stdout']],
      [['--help'], ['stdout']],
      [['init', '--yes', '--json'], ['stdout']],
      [['init', '--yes'], ['stdout', 'stderr']],
    ] as const) {
      const r = await run([...args], [...close]);
      expect(r.stderr).not.toContain('EPIPE');
      expect(r.stderr).not.toContain('Unhandled');
      expect(r.code).toBe(141);
    }
  });

  it('init --help names the global options that set its stage and region, and they work after init', async () => {
    const help = await runCli(['init', '--help']);
    expect(help.stdout).toContain('global options -s, --stage <name> and\n--region <region>');
    const dir = tempProject();
    const r = await runCli(['init', '--yes', '--name', 'Odonto Sul', '--stage', 'prod', '--region', 'us-east-1'], { cwd: dir });
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(readFileSync(join(dir, 'clinica.config.json'), 'utf8'))).toMatchObject({ stage: 'prod', aws: { region: 'us-east-1' } });
  });

  it.each([
    [['dev', '--s3-port', 'abc'], '--s3-port <port>', 'abc'],
    [['dev', '--ses-port', '-1'], '--ses-port <port>', '-1'],
    [['dev', '--port', '65536'], '--port <port>', '65536'],
    [['site', 'preview', '--port', '80x'], '--port <port>', '80x'],
  ])('%j is a usage error (exit 2) with commander\'s message, not an unexpected one', async (args, option, value) => {
    const r = await runCli(args, { cwd: tempProject() });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`error: option '${option}' argument '${value}' is invalid. Expected a port number from 0 to 65535`);
    expect(r.stderr).not.toContain('unexpected error');
  });

  it('a broken config exits 2 with one line naming the field', async () => {
    const dir = tempProject();
    writeFileSync(join(dir, 'broken.json'), JSON.stringify({ clinic: { name: 'X', timeZone: 'Lua/Base' } }));
    const r = await runCli(['--config', 'broken.json', 'status'], { cwd: dir });
    expect(r.code).toBe(2);
    const lines = r.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^clinica: .*broken\.json: clinic\.timeZone: expected an IANA time zone/);
    expect(r.stderr).not.toMatch(/\n\s+at /); // no stack trace
    const verbose = await runCli(['--config', 'broken.json', '--verbose', 'status'], { cwd: dir });
    expect(verbose.code).toBe(2);
    expect(verbose.stderr).toMatch(/\n\s+at /); // the stack, only with --verbose
  });

  it('init --yes writes a valid config from flags and defaults, and refuses to overwrite without --force', async () => {
    const dir = tempProject();
    const r = await runCli(['init', '--yes', '--name', 'Odonto & Cia <Centro>', '--clinic-cidr', '10.1.0.0/16', '10.2.0.0/16', '--locale', 'en'], { cwd: dir });
    expect(r.code).toBe(0);
    const written = JSON.parse(readFileSync(join(dir, 'clinica.config.json'), 'utf8'));
    expect(written.clinic).toMatchObject({ name: 'Odonto & Cia <Centro>', locale: 'en', timeZone: 'America/Sao_Paulo' });
    expect(written.network.clinicCidrs).toEqual(['10.1.0.0/16', '10.2.0.0/16']);
    expect(written.target).toBe('local');
    const again = await runCli(['init', '--yes'], { cwd: dir });
    expect(again.code).toBe(2);
    expect(again.stderr).toContain('already exists');
    expect(again.stderr).toContain('--force');
    const bad = await runCli(['init', '--yes', '--force', '--clinic-cidr', '10.0.0.0/99'], { cwd: dir });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('network.clinicCidrs.0');
    expect(bad.stderr.trim().split('\n')).toEqual([expect.stringMatching(/^clinica: --clinic-cidr \(network\.clinicCidrs\.0\): expected a network .*; nothing was written — correct it and run `clinica init` again$/)]);
    // a bad value on a fresh folder names the flag, not a file that was never written, and writes nothing
    const fresh = tempProject();
    const tz = await runCli(['init', '--yes', '--time-zone', 'Mars/Olympus'], { cwd: fresh });
    expect(tz.code).toBe(2);
    expect(tz.stderr).toMatch(/^clinica: --time-zone \(clinic\.timeZone\): expected an IANA time zone/);
    expect(tz.stderr).not.toContain('clinica.config.json');
    expect(existsSync(join(fresh, 'clinica.config.json'))).toBe(false);
    // --force repairs a file that is not a config at all
    writeFileSync(join(fresh, 'clinica.config.json'), '[]');
    const repaired = await runCli(['init', '--yes', '--force', '--name', 'Odonto Reparo'], { cwd: fresh });
    expect(repaired.stderr).not.toContain('unexpected error');
    expect(repaired.code).toBe(0);
    expect(JSON.parse(readFileSync(join(fresh, 'clinica.config.json'), 'utf8')).clinic.name).toBe('Odonto Reparo');
    rmSync(join(fresh, 'clinica.config.json'));
    // the reminder sender must be an address (a display name is allowed)
    const sender = await runCli(['init', '--yes', '--sender', 'abc'], { cwd: fresh });
    expect(sender.code).toBe(2);
    expect(sender.stderr).toMatch(/^clinica: --sender \(mail\.sender\): expected an e-mail address/);
    expect(existsSync(join(fresh, 'clinica.config.json'))).toBe(false);
    // the good file was not replaced by the bad input
    expect(JSON.parse(readFileSync(join(dir, 'clinica.config.json'), 'utf8')).clinic.name).toBe('Odonto & Cia <Centro>');
  });

  it('a real clinic initialised without --sender has no sender: remind says in one line that mail.sender must be set (exit 2)', async () => {
    const dir = tempProject();
    const r = await runCli(['init', '--yes', '--name', 'Odonto Vida'], { cwd: dir });
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/warn mail\.sender is not set/);
    expect(JSON.parse(readFileSync(join(dir, 'clinica.config.json'), 'utf8')).mail).toEqual({});
    const remind = await runCli(['remind'], { cwd: dir });
    expect(remind.code).toBe(2);
    expect(remind.stderr.trim().split('\n')).toEqual([
      'clinica: mail.sender is not set: reminders need an address of the clinic to be sent from — set "mail": { "sender": "Clínica <lembretes@your-domain>" } in clinica.config.json, or run `clinica init --force --sender …`',
    ]);
  });

  it('dev --demo --exit starts the stack, prints the summary and exits 0; --json is one JSON document', async () => {
    const dir = tempProject();
    // NO_COLOR unset (empty counts as unset): off a terminal is reason enough for no colour and no spinner
    const human = await runCli(['dev', '--demo', '--exit', '--s3-port', '0', '--ses-port', '0', '--port', '0'], { cwd: dir, env: { NO_COLOR: '', FORCE_COLOR: '' } });
    expect(human.code).toBe(0);
    expect(human.stdout).toContain('S3 endpoint');
    expect(human.stdout).toContain('E-mail outbox (local SES)');
    expect(human.stdout + human.stderr).not.toMatch(ANSI);
    expect(human.stderr).not.toMatch(/[⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏]/); // no spinner frames off a terminal
    expect(human.stderr).toMatch(/^\d{4}-\d\d-\d\dT[\d:.]+Z info /m); // timestamped log lines
    const json = await runCli(['dev', '--demo', '--exit', '--json', '--s3-port', '0', '--ses-port', '0', '--port', '0'], { cwd: dir });
    expect(json.code).toBe(0);
    const doc = JSON.parse(json.stdout);
    expect(doc.urls['S3 endpoint']).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(doc.dataBucket).toBe('clinica-clinica-sorriso-demo-dev-data');
    expect(Array.isArray(doc.demo)).toBe(true);
    // data survives restarts, and nothing is left claiming to run
    expect(existsSync(join(dir, '.clinica/dev/s3'))).toBe(true);
    expect(existsSync(join(dir, '.clinica/dev/endpoints.json'))).toBe(false);
  }, 120_000);

  // a real terminal (a pseudo-TTY through util-linux `script`) that reports 0 columns: ora used to compute
  // infinite line counts there and spin at 100% CPU forever
  it.skipIf(!existsSync('/usr/bin/script'))('dev on a 0-column terminal prints plain lines and finishes', async () => {
    const dir = tempProject();
    // `timeout` so that a hung clinica does not outlive the test (the pty's hang-up does not reach a busy loop)
    const command = `stty cols 0; exec timeout --foreground -s KILL 45 ${JSON.stringify(process.execPath)} ${JSON.stringify(BIN)} dev --exit --s3-port 0 --ses-port 0 --port 0`;
    const r = await new Promise<{ code: number | null; out: string }>((resolve) => {
      const child = spawn('/usr/bin/script', ['-qec', command, '/dev/null'], { cwd: dir, env: { ...process.env, NO_COLOR: '', CI: '' } });
      let out = '';
      child.stdout.on('data', (c) => (out += c));
      child.on('exit', (code) => resolve({ code, out }));
    });
    expect(r.code).toBe(0);
    expect(r.out).toContain('starting the local stack');
    expect(r.out).toContain('S3 endpoint');
    expect(r.out).not.toMatch(/[⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏]/);
  }, 60_000);

  it('dev publishes its endpoints, serves commands run in a subfolder, restarts a dead s3rver and stops cleanly on Ctrl+C', async () => {
    const dir = tempProject();
    const child = spawn(process.execPath, [BIN, 'dev', '--s3-port', '0', '--ses-port', '0', '--port', '0'], { cwd: dir, env: { ...process.env, NO_COLOR: '1' } });
    let stderr = '';
    child.stderr.on('data', (c) => (stderr += c));
    const endpoints = join(dir, '.clinica/dev/endpoints.json');
    for (let i = 0; i < 200 && !existsSync(endpoints); i++) await new Promise((r) => setTimeout(r, 100));
    const published = JSON.parse(readFileSync(endpoints, 'utf8'));
    expect(published.pid).toBe(child.pid);
    expect((await fetch(`${published.ses}/store`)).status).toBe(200);
    // a command run in a subfolder finds the clinic's folder (here only .clinica/, no config file) and this stack
    const sub = join(dir, 'imagens', '2026');
    mkdirSync(sub, { recursive: true });
    const listed = await runCli(['patients', 'list', '--json'], { cwd: sub });
    expect([listed.code, listed.stderr]).toEqual([0, '']);
    // its s3rver child dies: dev says so and restarts it; the commands carry on
    const s3rver = Number(readFileSync(`/proc/${child.pid}/task/${child.pid}/children`, 'utf8').trim().split(/\s+/)[0]);
    expect(s3rver).toBeGreaterThan(0);
    process.kill(s3rver, 'SIGKILL');
    for (let i = 0; i < 200 && !stderr.includes('the local S3 server is back'); i++) await new Promise((r) => setTimeout(r, 100));
    expect(stderr).toMatch(/the local S3 server stopped \(signal SIGKILL\); restarting it/);
    expect(stderr).toContain('the local S3 server is back');
    expect((await runCli(['patients', 'list', '--json'], { cwd: sub })).code).toBe(0);
    // a second dev in the same folder (or below it) is refused
    const second = await runCli(['dev', '--exit', '--s3-port', '0', '--ses-port', '0'], { cwd: sub });
    expect(second.code).toBe(2);
    expect(second.stderr).toContain('already running');
    const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
    child.kill('SIGINT');
    expect(await exited).toBe(0);
    expect(existsSync(endpoints)).toBe(false);
    expect(stderr).toContain('stopping the local stack');
    await expect(fetch(`${published.s3}/`)).rejects.toThrow();
  }, 60_000);

  it('a port in use is a one-line error naming the port and the flag', async () => {
    const net = await import('node:net');
    const blocker = net.createServer().listen(0, '127.0.0.1');
    await new Promise((r) => blocker.once('listening', r));
    const port = (blocker.address() as import('node:net').AddressInfo).port;
    const r = await runCli(['dev', '--exit', '--s3-port', String(port), '--ses-port', '0'], { cwd: tempProject() });
    blocker.close();
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`127.0.0.1:${port}`);
    expect(r.stderr).toContain('--s3-port');
    expect(r.stderr).not.toMatch(/\n\s+at /);
  }, 30_000);

  it('an SES port in use is the same one-line error naming --ses-port (it used to hang forever), nothing published', async () => {
    const net = await import('node:net');
    const blocker = net.createServer().listen(0, '127.0.0.1');
    await new Promise((r) => blocker.once('listening', r));
    const port = (blocker.address() as import('node:net').AddressInfo).port;
    const dir = tempProject();
    const r = await runCli(['dev', '--exit', '--s3-port', '0', '--ses-port', String(port)], { cwd: dir, timeoutMs: 30_000 });
    blocker.close();
    expect(r.code).toBe(1);
    expect(r.stderr.trim().split('\n').at(-1)).toBe(
      `clinica: cannot listen on 127.0.0.1:${port} for the local SES (EADDRINUSE) — another program uses that port: stop it or pick another (--ses-port)`,
    );
    expect(r.stderr).not.toMatch(/\n\s+at /);
    expect(existsSync(join(dir, '.clinica/dev/endpoints.json'))).toBe(false);
  }, 40_000);
});

describe('the CLI without its backend', () => {
  it('target local with no clinica dev running: one line saying how to start it, exit 1, no hang', async () => {
    const r = await runCli(['patients', 'list'], { cwd: tempProject() });
    expect(r.code).toBe(1);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toContain('clinica dev is not running');
    expect(r.stderr).toContain('npx clinica dev');
  });

  it('an endpoint from CLINICA_ENDPOINT_URL is used on target local, as --endpoint-url is (flags › environment › file)', async () => {
    const http = await import('node:http');
    const hits: string[] = [];
    const endpoint = http.createServer((req, res) => {
      hits.push(`${req.method} ${req.url}`);
      res.writeHead(403, { 'content-type': 'application/xml' }).end('<Error><Code>AccessDenied</Code><Message>no</Message></Error>');
    });
    await new Promise<void>((r) => endpoint.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(endpoint.address() as import('node:net').AddressInfo).port}`;
    try {
      const r = await runCli(['patients', 'list'], { cwd: tempProject(), env: { CLINICA_ENDPOINT_URL: url } });
      expect(r.stderr).not.toContain('clinica dev is not running');
      expect(r.code).toBe(1);
      expect(hits.length).toBeGreaterThan(0);
    } finally {
      endpoint.close();
    }
  });

  it('a bad --region or --endpoint-url is refused at once, naming the flag (exit 2)', async () => {
    const region = await runCli(['--region', 'not a region', 'patients', 'list'], { cwd: tempProject() });
    expect(region.code).toBe(2);
    expect(region.stderr).toBe('clinica: --region "not a region": expected an AWS region, e.g. "sa-east-1"\n');
    const url = await runCli(['--endpoint-url', 'notaurl', 'patients', 'list'], { cwd: tempProject() });
    expect(url.code).toBe(2);
    expect(url.stderr).toMatch(/^clinica: --endpoint-url "notaurl": expected an http\(s\) URL/);
  });

  it.each(['status', 'deploy', 'destroy'])('%s on target local is refused at once, without asking AWS (exit 2)', async (command) => {
    const r = await runCli([command], { cwd: tempProject() });
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(
      "clinica: deploy, status and destroy manage the stage on AWS, and the config's target is local — point the config at AWS with `clinica init --force --target aws …`, set CLINICA_TARGET=aws for one run, or name an AWS-compatible endpoint with --endpoint-url\n",
    );
  });

  it('target aws with no credentials: one line naming the fix, exit 1', async () => {
    const dir = tempProject();
    writeFileSync(join(dir, 'clinica.config.json'), JSON.stringify({ clinic: { name: 'Sem Credenciais' }, target: 'aws' }));
    const env: NodeJS.ProcessEnv = {
      AWS_ACCESS_KEY_ID: '',
      AWS_SECRET_ACCESS_KEY: '',
      AWS_PROFILE: '',
      AWS_CONFIG_FILE: join(dir, 'none'),
      AWS_SHARED_CREDENTIALS_FILE: join(dir, 'none'),
      AWS_EC2_METADATA_DISABLED: 'true',
      AWS_CONTAINER_CREDENTIALS_FULL_URI: '',
      AWS_CONTAINER_CREDENTIALS_RELATIVE_URI: '',
      AWS_WEB_IDENTITY_TOKEN_FILE: '',
    };
    const r = await runCli(['patients', 'list'], { cwd: dir, env });
    expect(r.code).toBe(1);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/^clinica: no AWS credentials for .* — configure a profile/);
  });
});

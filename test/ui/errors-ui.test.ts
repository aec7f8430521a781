import { clearLine, cursorTo, moveCursor } from 'node:readline';
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { describeAwsError } from '../../src/aws/errors.js';
import { ClinicaError, oneLine } from '../../src/errors.js';
import { Ui } from '../../src/ui/output.js';
import { reportError } from '../../src/ui/report-error.js';

class Sink extends Writable {
  text = '';
  isTTY: boolean;
  columns?: number;
  constructor(tty = false, columns?: number) {
    super();
    this.isTTY = tty;
    if (tty) this.columns = columns ?? 80;
  }
  // what a tty.WriteStream adds (ora redraws with them)
  cursorTo(x: number, y?: number) {
    return cursorTo(this, x, y);
  }
  moveCursor(dx: number, dy: number) {
    return moveCursor(this, dx, dy);
  }
  clearLine(dir: -1 | 0 | 1) {
    return clearLine(this, dir);
  }
  override _write(chunk: Buffer, _enc: string, cb: () => void) {
    this.text += chunk.toString();
    cb();
  }
}

const ESC = String.fromCharCode(27);

const ui = (options: ConstructorParameters<typeof Ui>[0], tty = false, env: NodeJS.ProcessEnv = {}) => {
  const stdout = new Sink(tty);
  const stderr = new Sink(tty);
  return { ui: new Ui(options, { stdout, stderr, env, stdinIsTTY: tty }), stdout, stderr };
};

describe('errors', () => {
  it('maps kinds to exit codes', () => {
    expect(new ClinicaError('usage', 'x').exitCode).toBe(2);
    expect(new ClinicaError('config', 'x').exitCode).toBe(2);
    expect(new ClinicaError('not-found', 'x').exitCode).toBe(2);
    expect(new ClinicaError('partial', 'x').exitCode).toBe(3);
    expect(new ClinicaError('unavailable', 'x').exitCode).toBe(1);
    expect(new ClinicaError('conflict', 'x').exitCode).toBe(1);
    expect(new ClinicaError('usage', 'x', { exitCode: 1 }).exitCode).toBe(1);
  });

  it('prints one line with the fix, the stack only when verbose', () => {
    const err = new ClinicaError('not-found', 'no patient P-000042', { hint: 'list patients with `clinica patients list`' });
    expect(oneLine(err)).toBe('no patient P-000042 — list patients with `clinica patients list`');
    const quiet = new Sink();
    expect(reportError(err, false, quiet)).toBe(2);
    expect(quiet.text).toBe('clinica: no patient P-000042 — list patients with `clinica patients list`\n');
    const loud = new Sink();
    reportError(err, true, loud);
    expect(loud.text.split('\n').length).toBeGreaterThan(3);
    const unexpected = new Sink();
    expect(reportError(new TypeError('x is undefined\n  at foo'), false, unexpected)).toBe(1);
    expect(unexpected.text).toBe('clinica: unexpected error: x is undefined (run with --verbose for details)\n');
  });

  it('stays one line when the message quotes a multi-line SDK message', () => {
    // what the SDK says when an endpoint answers something that is not the service's XML
    const sdk = 'Error: @aws-sdk XML parse error: unexpected content.\n  Deserialization error: to see the raw response, inspect the hidden field {error}.$response on this object.';
    const err = new ClinicaError('internal', `S3 GetObject patients/P-1.json failed: ${sdk}`, { hint: 'check the endpoint' });
    expect(oneLine(err)).toBe('S3 GetObject patients/P-1.json failed: Error: @aws-sdk XML parse error: unexpected content. — check the endpoint');
    const sink = new Sink();
    expect(reportError(err, false, sink)).toBe(1);
    expect(sink.text.split('\n')).toEqual(['clinica: S3 GetObject patients/P-1.json failed: Error: @aws-sdk XML parse error: unexpected content. — check the endpoint', '']);
  });

  it.each([
    ['a terminal', true, {}, true],
    ['a terminal with TERM=dumb', true, { TERM: 'dumb' }, false],
    ['a terminal with NO_COLOR', true, { NO_COLOR: '1' }, false],
    ['a terminal with an empty NO_COLOR', true, { NO_COLOR: '' }, true],
    ['not a terminal', false, {}, false],
  ] as const)('on %s the error label is red exactly when the Ui colours', (_case, tty, env, red) => {
    const sink = new Sink(tty);
    reportError(new ClinicaError('usage', 'bad flag'), false, sink, env);
    expect(sink.text).toBe(red ? `${ESC}[31mclinica:${ESC}[0m bad flag\n` : 'clinica: bad flag\n');
    // one decision for both: the Ui on the same terminal agrees
    expect(ui({}, tty, env).ui.color).toBe(red);
  });

  it('Ctrl+C at a prompt is "cancelled" (exit 130), not an unexpected error', () => {
    const sink = new Sink();
    const err = Object.assign(new Error('User force closed the prompt with SIGINT'), { name: 'ExitPromptError' });
    expect(reportError(err, false, sink)).toBe(130);
    expect(sink.text).toBe('clinica: cancelled\n');
  });

  it('turns SDK failures into one-line errors with a fix', () => {
    const creds = describeAwsError(Object.assign(new Error('Could not load credentials from any providers'), { name: 'CredentialsProviderError' }), 'S3 (sa-east-1)') as ClinicaError;
    expect(creds.kind).toBe('credentials');
    expect(creds.message).toBe('no AWS credentials for S3 (sa-east-1)');
    expect(creds.hint).toContain('--profile');
    const refused = describeAwsError(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }), 'S3 at http://x') as ClinicaError;
    expect([refused.kind, refused.message]).toEqual(['unavailable', 'cannot reach S3 at http://x (ECONNREFUSED)']);
    const wrapped = describeAwsError(Object.assign(new AggregateError([Object.assign(new Error('a'), { code: 'ECONNREFUSED' })]), {}), 'SES') as ClinicaError;
    expect(wrapped.kind).toBe('unavailable');
    const throttled = describeAwsError(Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException', $metadata: { httpStatusCode: 400 } }), 'EC2') as ClinicaError;
    expect(throttled.kind).toBe('unavailable');
    expect(throttled.hint).toContain('safe to re-run');
    const denied = describeAwsError(Object.assign(new Error('no'), { name: 'AccessDenied', $metadata: { httpStatusCode: 403 } }), 'IAM') as ClinicaError;
    expect(denied.kind).toBe('forbidden');
    const other = Object.assign(new Error('x'), { name: 'NoSuchKey' });
    expect(describeAwsError(other, 'S3')).toBe(other);
  });
});

describe('Ui', () => {
  it('off a terminal: no colour, timestamped log lines on stderr, plain tables on stdout', async () => {
    const { ui: u, stdout, stderr } = ui({});
    expect([u.tty, u.color, u.interactive]).toEqual([false, false, false]);
    u.info('hello');
    u.warn('careful');
    await u.table([{ a: 'x', b: 1 }], [{ header: 'A', value: (r) => r.a }, { header: 'B', value: (r) => r.b, align: 'right' }]);
    const spin = await u.spinner('working');
    spin.succeed('worked');
    expect(stderr.text).toMatch(/^\d{4}-\d\d-\d\dT\S+Z info hello\n\S+ warn careful\n\S+ info working\n\S+ info worked\n$/);
    expect(stdout.text).toContain('| A | B |');
    expect(stdout.text + stderr.text).not.toContain(String.fromCharCode(27));
  });

  it('--json: one JSON document on stdout, nothing else there', async () => {
    const { ui: u, stdout, stderr } = ui({ json: true }, true);
    u.print('human text');
    await u.table([{ a: 1 }], [{ header: 'A', value: (r) => r.a }]);
    u.info('to stderr');
    u.result({ ok: true });
    expect(JSON.parse(stdout.text)).toEqual({ ok: true });
    expect(stderr.text).toContain('to stderr');
  });

  it('on a terminal: colour unless NO_COLOR; no prompts with --yes', () => {
    expect(ui({}, true).ui.color).toBe(true);
    expect(ui({}, true).ui.interactive).toBe(true);
    expect(ui({}, true, { NO_COLOR: '1' }).ui.color).toBe(false);
    expect(ui({ yes: true }, true).ui.interactive).toBe(false);
  });

  it('--quiet drops info but keeps warnings and errors', () => {
    const { ui: u, stderr } = ui({ quiet: true });
    u.info('noise');
    u.error('bad');
    expect(stderr.text).not.toContain('noise');
    expect(stderr.text).toContain('error bad');
  });

  it('progress: periodic plain lines off a terminal, a summary at the end', () => {
    const { ui: u, stderr } = ui({});
    const p = u.progress(10, 'importing', 0);
    for (let i = 1; i <= 10; i++) p.tick(i);
    p.done();
    expect(stderr.text).toContain('importing 1/10 (10%)');
    expect(stderr.text).toMatch(/importing 10\/10 \(100%\) [\d.]+\/s in [\d.]+s\n$/);
    expect(stderr.text).not.toContain('\r');
  });

  describe('spinner and progress bar redraw stderr only on a terminal with a width and colour', () => {
    /** a spinner and a progress bar, as `clinica dev` and `upload --bulk` draw them */
    const draw = async (stdout: Sink, stderr: Sink, env: NodeJS.ProcessEnv = {}, live = false) => {
      const u = new Ui({}, { stdout, stderr, env, stdinIsTTY: true });
      // decided before anything is drawn (a 0-column terminal used to hang ora in an endless loop)
      expect(u.live).toBe(live);
      const spin = await u.spinner('starting the local stack');
      spin.succeed('local stack up');
      const p = u.progress(2, 'importing', 0);
      p.tick(1);
      p.tick(2);
      p.done();
    };

    it.each([
      ['NO_COLOR on a terminal', new Sink(true), new Sink(true), { NO_COLOR: '1' }],
      ['stderr redirected to a file (2>dev.log)', new Sink(true), new Sink(false), {}],
      ['a 0-column terminal', new Sink(true), new Sink(true, 0), {}],
    ])('%s: plain lines, no escape codes, no spinner frames', async (_case, stdout, stderr, env) => {
      await draw(stdout, stderr, env);
      expect(stderr.text).toContain('starting the local stack');
      expect(stderr.text).toContain('local stack up');
      expect(stderr.text).toMatch(/importing 2\/2 \(100%\) [\d.]+\/s in /);
      expect(stderr.text).not.toContain(ESC);
      expect(stderr.text).not.toContain('\r');
      expect(stderr.text).not.toMatch(/[⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏█]/);
    });

    it('a log file gets timestamped lines even when stdout is a terminal', async () => {
      const stderr = new Sink(false);
      await draw(new Sink(true), stderr);
      expect(stderr.text.trim().split('\n').every((l) => /^\d{4}-\d\d-\d\dT\S+Z (info|warn|error) /.test(l))).toBe(true);
    });

    it('a terminal with a width and colour: an animated spinner and a redrawn bar no wider than the terminal', async () => {
      const stderr = new Sink(true, 40);
      await draw(new Sink(true), stderr, {}, true);
      expect(stderr.text).toMatch(/[⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏]/);
      expect(stderr.text).toContain(ESC);
      const bars = stderr.text.split('\r').filter((l) => l.includes('█'));
      expect(bars.length).toBeGreaterThan(0);
      const visible = (l: string) => l.replace(new RegExp(`${ESC}\\[[0-9;]*[A-Za-z]`, 'g'), '');
      for (const bar of bars) expect(visible(bar).length).toBeLessThanOrEqual(40);
    });
  });
});

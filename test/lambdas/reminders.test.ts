/**
 * The reminders Lambda as deploy zips it, run from its unzipped folder with the environment deploy gives the
 * function (plus the local S3/SES endpoints): templates, nodemailer and the SDK all work from inside the zip.
 * And `clinica remind --via lambda`: the exact Invoke call, and how a failed or missing function reads.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ReminderSummary } from '../../src/clinic/reminders.js';
import { runtimeEnv } from '../../src/config/runtime.js';
import { defaultConfigInput } from '../../src/config/load.js';
import { PACKAGE_ROOT, buildBundle } from '../../src/infra/bundle.js';
import { deployedConfig } from '../../src/infra/lambdas.js';
import { readOutbox } from '../../src/local/ses-server.js';
import { Ui } from '../../src/ui/output.js';
import { useTestStack } from '../helpers/stack.js';
import { addPatient, book } from '../helpers/reminder-seed.js';
import { unzipTo } from '../helpers/zip.js';

const stack = useTestStack({ publish: false });
let dir: string;
const saved = { ...process.env };


beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'clinica-reminders-lambda-'));
});
afterAll(async () => {
  process.env = saved;
  if (dir) await rm(dir, { recursive: true, force: true });
});

type Handler = (event?: unknown, context?: { getRemainingTimeInMillis(): number; awsRequestId: string }) => Promise<ReminderSummary>;

describe('the zipped reminders Lambda', () => {
  it('sends the due reminders from the local stack, and a scheduled event runs as of now', async () => {
    const p = await addPatient(stack.dataStore, { fullName: 'Lâmbida Teste', email: 'lambda@example.com' });
    await book(stack.dataStore, p.id, '2030-09-11 10:00');
    const bundle = await buildBundle('reminders', { config: { aws: { architecture: 'x86_64' } as never, stateDir: '' }, buildDir: join(PACKAGE_ROOT, '.clinica', 'build') });
    expect(bundle.files).toEqual(expect.arrayContaining(['index.mjs', 'templates/email/pt-BR/reminder.html', 'templates/email/en/reminder.txt', 'templates/email/layout.html']));
    await unzipTo(bundle.zip, dir);

    Object.assign(process.env, runtimeEnv(deployedConfig(stack.config), { s3Endpoint: stack.s3.endpoint, sesEndpoint: stack.ses.endpoint }), { AWS_REGION: stack.config.aws.region });
    const { handler } = (await import(pathToFileURL(join(dir, 'index.mjs')).href)) as { handler: Handler };
    const context = { getRemainingTimeInMillis: () => 600_000, awsRequestId: 'req-1' };

    const summary = await handler({ at: '2030-09-10T09:00', rule: 'day-before' }, context);
    expect(summary).toMatchObject({ sent: 1, failed: 0, rules: ['day-before'] });
    const [mail] = (await readOutbox(stack.ses.endpoint)).filter((m) => m.destination.to[0] === 'lambda@example.com');
    expect(mail!.subject).toContain('amanhã, 11/09 às 10:00');
    expect(mail!.attachments[0]!.filename).toBe('consulta.ics');

    const again = await handler({ at: '2030-09-10T09:15' }, context);
    expect(again).toMatchObject({ sent: 0, skipped: { 'already-sent': 1 } });

    // what the EC2 timer sends: no "at", so the run is as of now (nothing of 2030 is due)
    const scheduled = await handler({ source: 'clinica-timer' } as never, context);
    expect(scheduled.sent).toBe(0);
    expect(Math.abs(Date.parse(scheduled.at) - Date.now())).toBeLessThan(60_000);
  });

  it('stops starting sends 30 s before the function times out (what is left goes next time)', async () => {
    const p = await addPatient(stack.dataStore, { fullName: 'Prazo Teste', email: 'prazo@example.com' });
    await book(stack.dataStore, p.id, '2030-09-18 10:00');
    const { handler } = (await import(pathToFileURL(join(dir, 'index.mjs')).href)) as { handler: Handler };
    const late = await handler({ at: '2030-09-17T09:00' }, { getRemainingTimeInMillis: () => 20_000, awsRequestId: 'req-2' });
    expect(late).toMatchObject({ sent: 0, deferred: 1 });
    expect(late.items[0]).toMatchObject({ status: 'deferred', why: 'deadline' });
    const next = await handler({ at: '2030-09-17T09:15' }, { getRemainingTimeInMillis: () => 600_000, awsRequestId: 'req-3' });
    expect(next.sent).toBe(1);
  });
});

describe('clinica remind --via lambda', () => {
  async function runVia(mock: ReturnType<typeof mockClient>, extra: Record<string, unknown> = {}) {
    process.env = { ...saved }; // the Lambda tests above set CLINICA_STAGE and friends
    const project = await mkdtemp(join(tmpdir(), 'clinica-via-'));
    const configPath = join(project, 'clinica.config.json');
    await writeFile(configPath, JSON.stringify({ ...defaultConfigInput, target: 'aws', stage: 'prod' }));
    let stdout = '';
    let stderr = '';
    const ui = new Ui({ json: true }, {
      stdout: { write: (t: string) => ((stdout += t), true) } as never,
      stderr: { write: (t: string) => ((stderr += t), true) } as never,
      env: {},
      stdinIsTTY: false,
    });
    const [{ default: remind }, { runCommand }] = await Promise.all([import('../../src/commands/remind/run.js'), import('../../src/commands/action.js')]);
    try {
      const code = await runCommand(remind, { args: [], opts: { config: configPath, json: true, via: 'lambda', ...extra } as never, ui, command: {} as never });
      return { code, stdout, stderr, calls: mock.commandCalls(InvokeCommand) };
    } finally {
      await rm(project, { recursive: true, force: true });
    }
  }

  it('invokes <prefix>-<stage>-reminders synchronously with at/rule/dryRun and shows its summary', async () => {
    const mock = mockClient(LambdaClient);
    const answer: Partial<ReminderSummary> = { at: '2030-09-10T12:00:00.000Z', dryRun: true, rules: ['day-before'], due: 1, sent: 0, wouldSend: 1, failed: 0, deferred: 0, skipped: {}, upcoming: 0, timings: { planningMs: 1, totalMs: 2 }, items: [] };
    mock.on(InvokeCommand).resolves({ StatusCode: 200, Payload: new TextEncoder().encode(JSON.stringify(answer)) as never });
    try {
      const r = await runVia(mock, { at: '2030-09-10T09:00', rule: 'day-before', dryRun: true });
      expect(r.code).toBe(0);
      expect(r.calls).toHaveLength(1);
      const input = r.calls[0]!.args[0].input;
      expect(input.FunctionName).toBe('clinica-clinica-sorriso-demo-prod-reminders');
      expect(input.InvocationType).toBe('RequestResponse');
      expect(JSON.parse(new TextDecoder().decode(input.Payload as Uint8Array))).toEqual({ at: '2030-09-10T12:00:00.000Z', rule: 'day-before', dryRun: true });
      expect(JSON.parse(r.stdout)).toMatchObject({ wouldSend: 1 });
    } finally {
      mock.restore();
    }
  });

  it('a function that failed or does not exist is one line, exit 1', async () => {
    const mock = mockClient(LambdaClient);
    mock
      .on(InvokeCommand)
      .resolvesOnce({ StatusCode: 200, FunctionError: 'Unhandled', Payload: new TextEncoder().encode(JSON.stringify({ errorType: 'ClinicaError', errorMessage: 'bucket x does not exist' })) as never })
      .rejectsOnce(Object.assign(new Error('Function not found'), { name: 'ResourceNotFoundException', $metadata: { httpStatusCode: 404 } }));
    try {
      const failed = await runVia(mock).catch((e) => e);
      expect(failed).toMatchObject({ kind: 'unavailable', exitCode: 1 });
      expect(failed.message).toBe('clinica-clinica-sorriso-demo-prod-reminders failed: ClinicaError: bucket x does not exist');
      const missing = await runVia(mock).catch((e) => e);
      expect(missing.message).toMatch(/^Lambda function clinica-clinica-sorriso-demo-prod-reminders does not exist/);
      expect(missing.hint).toMatch(/clinica deploy/);
    } finally {
      mock.restore();
    }
  });
});

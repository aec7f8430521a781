/** `clinica remind` as cron runs it: the built CLI, no terminal, against a running local stack. */
import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { REMINDERS_PREFIX, type ReminderSummary } from '../../src/clinic/reminders.js';
import { endpointsFile } from '../../src/local/endpoints.js';
import { readOutbox } from '../../src/local/ses-server.js';
import { CARRIED_ENV } from '../../src/commands/remind/cron.js';
import { BIN, runCli } from '../helpers/cli.js';
import { useTestStack } from '../helpers/stack.js';
import { startFakeSes } from '../helpers/fake-ses.js';
import { addPatient, book } from '../helpers/reminder-seed.js';

const stack = useTestStack();
const remind = (args: string[], env?: NodeJS.ProcessEnv) => runCli(['remind', ...args], { cwd: stack.projectDir, env });
const json = (stdout: string) => JSON.parse(stdout) as ReminderSummary;
const DEAD_SES = 'http://127.0.0.1:9';

async function bookFor(fullName: string, email: string, at: string) {
  const p = await addPatient(stack.dataStore, { fullName, email });
  return book(stack.dataStore, p.id, at);
}

/** Runs `body` with the stack's endpoints file pointing `clinica remind` at another SES (a fake, a dead port). */
async function withSes<T>(ses: string, body: () => Promise<T>): Promise<T> {
  const file = endpointsFile(stack.config.stateDir);
  const original = await readFile(file, 'utf8');
  try {
    await writeFile(file, JSON.stringify({ ...JSON.parse(original), ses }));
    return await body();
  } finally {
    await writeFile(file, original);
  }
}

/** …through a fake SES that rejects the addresses "rejeitado@…". */
async function withRejectingSes<T>(body: () => Promise<T>): Promise<T> {
  const fake = await startFakeSes(stack.ses.endpoint, { reject: /rejeitado@/ });
  try {
    return await withSes(fake.endpoint, body);
  } finally {
    await fake.stop();
  }
}

beforeAll(async () => {
  const ana = await addPatient(stack.dataStore, { fullName: 'Ana Cron', email: 'ana.cron@example.com' });
  const ze = await addPatient(stack.dataStore, { fullName: 'Zé Sem Consentimento', email: 'ze@example.com', emailReminders: false });
  await book(stack.dataStore, ana.id, '2030-03-12 14:30');
  await book(stack.dataStore, ze.id, '2030-03-12 15:30');
});

describe('clinica remind (built CLI)', () => {
  it('--dry-run --json lists who would get what and sends nothing', async () => {
    const r = await remind(['--dry-run', '--json', '--at', '2030-03-11T09:00']);
    expect(r.code).toBe(0);
    const s = json(r.stdout);
    expect(s).toMatchObject({ dryRun: true, wouldSend: 1, sent: 0, skipped: { 'no-consent': 1 } });
    expect(s.items.find((i) => i.status === 'would-send')!.to).toBe('ana.cron@example.com');
    expect(await readOutbox(stack.ses.endpoint)).toHaveLength(0);
    // the plan printed: no claim or reminder record written
    const records: string[] = [];
    for await (const o of stack.dataStore.list(REMINDERS_PREFIX)) records.push(o.key);
    expect(records).toEqual([]);
  });

  it('--json sends what is due (exit 0); timestamped log lines on stderr; a re-run sends nothing', async () => {
    const r = await remind(['--json', '--at', '2030-03-11T09:00']);
    expect(r.code).toBe(0);
    expect(json(r.stdout)).toMatchObject({ sent: 1, failed: 0, skipped: { 'no-consent': 1 } });
    expect(r.stderr).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z info reminders at 2030-03-11 09:00: 1 sent, 0 failed, 1 skipped$/m);
    expect(r.stderr).not.toContain('\u001b['); // no colours, no spinner
    const outbox = await readOutbox(stack.ses.endpoint);
    expect(outbox.map((m) => m.destination.to[0])).toEqual(['ana.cron@example.com']);

    const again = await remind(['--json', '--at', '2030-03-11T09:15']);
    expect(again.code).toBe(0);
    expect(json(again.stdout)).toMatchObject({ sent: 0, skipped: { 'already-sent': 1, 'no-consent': 1 } });
    expect(await readOutbox(stack.ses.endpoint)).toHaveLength(1);
  });

  it('human output: a summary table; --quiet prints nothing when nothing went wrong', async () => {
    const r = await remind(['--at', '2030-03-11T09:30']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/Rule\s+\|\s+Sent\s+\|\s+Failed\s+\|\s+Skipped/);
    expect(r.stdout).toMatch(/day-before\s+\|\s+0\s+\|\s+0\s+\|\s+2/);
    const quiet = await remind(['--quiet', '--at', '2030-03-11T09:45']);
    expect(quiet).toMatchObject({ code: 0, stdout: '', stderr: '' });
  });

  it('exit 3 when some failed (a rejected address)', async () => {
    await bookFor('Rejeitado Cron', 'rejeitado@example.com', '2030-04-09 10:00');
    await bookFor('Bom Cron', 'bom@example.com', '2030-04-09 11:00');
    await withRejectingSes(async () => {
      const partial = await remind(['--json', '--at', '2030-04-08T09:00']);
      expect(partial.code).toBe(3);
      expect(json(partial.stdout)).toMatchObject({ sent: 1, failed: 1 });
      expect(partial.stderr).toMatch(
        /warn reminder day-before for A-20300409-\w+ \(patient P-\d+\) to re\*\*\*@example.com failed \(rejected\): Address blacklisted.* — correct the address \(`clinica patients update P-\d+ --email …`\)/,
      );
    });
  });

  it('--quiet: a run where some failed still says its totals, as a warning, so cron mails them', async () => {
    await bookFor('Rejeitado Quieto', 'rejeitado@quieto.example', '2030-04-23 10:00');
    await bookFor('Bom Quieto', 'bom@quieto.example', '2030-04-23 11:00');
    await withRejectingSes(async () => {
      const quiet = await remind(['--quiet', '--at', '2030-04-22T09:00']);
      expect(quiet.code).toBe(3);
      expect(quiet.stdout).toBe('');
      expect(quiet.stderr).toMatch(/^\S+ warn reminders at 2030-04-22 09:00: 1 sent, 1 failed, 0 skipped$/m);
      expect(quiet.stderr).toMatch(/warn reminder day-before for A-20300423-\w+ \(patient P-\d+\) to re\*\*\*@quieto.example failed \(rejected\)/);
      expect(quiet.stderr).not.toMatch(/ info /);
    });
  });

  it('exit 1 when SES is unreachable: said once, the reminder deferred (not failed); the next run sends it', async () => {
    await bookFor('Sem SES', 'semses@example.com', '2030-04-16 10:00');
    await withSes(DEAD_SES, async () => {
      const down = await remind(['--json', '--at', '2030-04-15T09:00']);
      expect(down.code).toBe(1);
      // the reminder that met the outage waits for the next run: deferred, not failed
      expect(json(down.stdout)).toMatchObject({ sent: 0, failed: 0, deferred: 1, aborted: { kind: 'unavailable' } });
      // the outage is said once, on the last line
      expect(down.stderr.match(/ECONNREFUSED/g)).toHaveLength(1);
      expect(down.stderr.trim().split('\n').at(-1)).toMatch(/^clinica: no reminder could be sent: cannot reach SES \(ECONNREFUSED\)/);
    });
    // SES is back: the next run sends what was left
    const back = await remind(['--json', '--at', '2030-04-15T09:15']);
    expect(back.code).toBe(0);
    expect(json(back.stdout).sent).toBe(1);
  });

  it('exit 1 with --quiet (cron): the one error line and nothing else', async () => {
    await bookFor('Sem SES Quieto', 'semses@quieto.example', '2030-04-30 10:00');
    await withSes(DEAD_SES, async () => {
      const down = await remind(['--quiet', '--at', '2030-04-29T09:00']);
      expect(down.code).toBe(1);
      expect(down.stdout).toBe('');
      expect(down.stderr.trim().split('\n')).toEqual([expect.stringMatching(/^clinica: no reminder could be sent: cannot reach SES \(ECONNREFUSED\)/)]);
    });
  });

  it('bad input is a usage error (exit 2)', async () => {
    const rule = await remind(['--rule', 'nope']);
    expect(rule.code).toBe(2);
    expect(rule.stderr).toMatch(/--rule: no reminder rule "nope" \(the config has: day-before, 2h-before\)/);
    const at = await remind(['--at', 'tomorrow']);
    expect(at.code).toBe(2);
    expect(at.stderr).toMatch(/--at: "tomorrow" is not a date and time/);
    const via = await remind(['--via', 'lambda']);
    expect(via.code).toBe(2);
    expect(via.stderr).toMatch(/--via lambda: the target is the local stack/);
  });

  it('bad flags are a usage error (exit 2) also when no local stack is running', async () => {
    const empty = await mkdtemp(join(tmpdir(), 'clinica-remind-nostack-'));
    try {
      const noStack = (args: string[]) => runCli(['remind', ...args], { cwd: empty });
      const at = await noStack(['--at', '2026-13-03T08:30']);
      expect(at.code).toBe(2);
      expect(at.stderr).toMatch(/--at: "2026-13-03" is not a calendar date/);
      const rule = await noStack(['--rule', 'nope']);
      expect(rule.code).toBe(2);
      expect(rule.stderr).toMatch(/--rule: no reminder rule "nope"/);
      const via = await noStack(['--via', 'lambda']);
      expect(via.code).toBe(2);
      expect(via.stderr).toMatch(/--via lambda: the target is the local stack/);
      // good flags and no stack: the stack is what is missing
      const fine = await noStack(['--rule', 'day-before']);
      expect(fine.code).toBe(1);
      expect(fine.stderr).toMatch(/clinica dev/);
    } finally {
      await rm(empty, { recursive: true, force: true });
    }
  });

  it('--install-cron prints the line; with --yes installs it once (a re-install replaces it), one line per stage', async () => {
    // no clinica/AWS variable of this shell leaks into the expected line
    const bare: NodeJS.ProcessEnv = Object.fromEntries(CARRIED_ENV.map((name) => [name, undefined]));
    const printed = await remind(['--install-cron'], bare);
    expect(printed.code).toBe(0);
    const path = [...new Set([dirname(process.execPath), '/usr/local/bin', '/usr/bin', '/bin'])].join(':');
    expect(printed.stdout.trim()).toBe(
      `*/15 * * * * cd '${stack.projectDir}' && PATH='${path}' '${process.execPath}' '${BIN}' remind --quiet # clinica remind: ${join(stack.projectDir, 'clinica.config.json')} (stage dev)`,
    );

    // a fake crontab on PATH keeps the real one untouched
    const bin = join(stack.projectDir, 'fakebin');
    const table = join(stack.projectDir, 'crontab.txt');
    await mkdir(bin, { recursive: true });
    await writeFile(table, 'MAILTO=it@clinica.example\n0 3 * * * /usr/local/bin/backup\n');
    await writeFile(join(bin, 'crontab'), `#!/bin/sh\nif [ "$1" = "-l" ]; then cat '${table}'; else cat > '${table}'; fi\n`);
    await chmod(join(bin, 'crontab'), 0o755);
    const env = { ...bare, PATH: `${bin}:${process.env.PATH}` };
    const first = await remind(['--install-cron', '--yes', '--json'], env);
    expect(first.code).toBe(0);
    expect(JSON.parse(first.stdout)).toMatchObject({ installed: true, replaced: false });
    const second = await remind(['--install-cron', '--yes', '--json'], env);
    expect(JSON.parse(second.stdout)).toMatchObject({ installed: true, replaced: true });
    const lines = (await readFile(table, 'utf8')).trim().split('\n');
    expect(lines).toHaveLength(3);
    expect(lines.slice(0, 2)).toEqual(['MAILTO=it@clinica.example', '0 3 * * * /usr/local/bin/backup']);
    expect(lines[2]).toBe(printed.stdout.trim());

    // another stage from the same folder is another line, next to the first
    const prod = await remind(['--install-cron', '--yes', '--json', '--stage', 'prod'], env);
    expect(JSON.parse(prod.stdout)).toMatchObject({ installed: true, replaced: false });
    const both = (await readFile(table, 'utf8')).trim().split('\n');
    expect(both).toHaveLength(4);
    expect(both[2]).toBe(printed.stdout.trim());
    expect(both[3]).toMatch(/ remind --quiet --stage 'prod' # clinica remind: .* \(stage prod\)$/);

    // AWS credentials only in this shell's variables: not written into the crontab, and --yes refuses
    const keys = { ...env, CLINICA_TARGET: 'aws', AWS_ACCESS_KEY_ID: 'AKIAEXAMPLE', AWS_SECRET_ACCESS_KEY: 'very-secret' };
    const refused = await remind(['--install-cron', '--yes'], keys);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/^clinica: the AWS credentials come only from AWS_ACCESS_KEY_ID\/AWS_SECRET_ACCESS_KEY in this shell.* — keep them in a profile/m);
    expect((await readFile(table, 'utf8')).trim().split('\n')).toEqual(both);
    const warned = await remind(['--install-cron'], keys);
    expect(warned.code).toBe(0);
    expect(warned.stdout).toMatch(/CLINICA_TARGET='aws' /);
    expect(warned.stdout).not.toMatch(/AKIAEXAMPLE|very-secret/);
    expect(warned.stderr).toMatch(/warn the AWS credentials come only from/);
  });

});

/**
 * `clinica backup verify` against the local stack: the "backup" is a second local bucket the test fills with
 * copies of the data bucket's objects (as replication would); a changed copy, a missing one, and the audit
 * objects of the last week always being checked.
 */
import { describe, expect, it } from 'vitest';
import { Store } from '../../src/store/store.js';
import { sample, verifyBackup } from '../../src/usecases/backup-verify.js';
import { runCli } from '../helpers/cli.js';
import { useTestStack } from '../helpers/stack.js';

const stack = useTestStack();

async function filledBackup() {
  const data = stack.dataStore;
  const backup = new Store(data.s3, `${stack.config.names.prefix}-${stack.config.stage}-backup`, data.where);
  await backup.ensureBucket();
  await backup.enableVersioning();
  const today = new Date().toISOString().slice(0, 10);
  const objects: Record<string, string> = {
    'patients/P-000101.json': '{"id":"P-000101","fullName":"Cópia Fiel"}',
    'patients/P-000102.json': '{"id":"P-000102","fullName":"Outra Cópia"}',
    [`audit/${today}/20261207T000000000Z-P-000101-aaaaaa.json`]: '{"action":"patient.read"}',
    'audit/2020-01-01/20200101T000000000Z-_-bbbbbb.json': '{"action":"old"}',
  };
  for (const [key, body] of Object.entries(objects)) {
    await data.put(key, body, { contentType: 'application/json' });
    await backup.put(key, body, { contentType: 'application/json' });
  }
  return { data, backup, today };
}

describe('backup verify (local stack, a second bucket as the backup)', () => {
  it('passes when the copies match; a changed copy and a missing one fail it; recent audit objects are always checked', async () => {
    const { data, backup, today } = await filledBackup();
    const clean = await verifyBackup(data, backup, { sampleSize: 0 });
    // with no random sample, the last week's audit objects are still compared (and the 2020 one is not)
    expect([clean.checked, clean.failed, clean.problems]).toEqual([1, false, []]);
    const all = await verifyBackup(data, backup, { sampleSize: 1000 });
    expect([all.checked, all.ok, all.failed]).toEqual([4, 4, false]);

    await backup.put('patients/P-000102.json', '{"id":"P-000102","fullName":"ALTERADA"}', { contentType: 'application/json' });
    await data.put(`audit/${today}/20261207T000001000Z-_-cccccc.json`, '{"action":"not replicated"}');
    const changed = await verifyBackup(data, backup, { sampleSize: 1000 });
    expect(changed.failed).toBe(true);
    expect(changed.problems).toEqual([
      { key: `audit/${today}/20261207T000001000Z-_-cccccc.json`, outcome: 'missing' },
      { key: 'patients/P-000102.json', outcome: 'mismatch' },
    ]);
  });

  it('the command exits 1 on a difference and names it; --sample must be a number', async () => {
    const { backup } = await filledBackup();
    await backup.put('patients/P-000101.json', '{"id":"P-000101","fullName":"Trocada"}');
    const run = await runCli(['backup', 'verify', '--sample', '1000'], { cwd: stack.projectDir });
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(/patients\/P-000101\.json\s*\|\s*DIFFERENT in the backup/);
    const bad = await runCli(['backup', 'verify', '--sample', 'muitos'], { cwd: stack.projectDir });
    expect([bad.code, bad.stderr.trim()]).toEqual([2, expect.stringMatching(/^clinica: --sample: "muitos" is not a whole number/)]);
  });

  it('draws a sample without repeats', () => {
    const drawn = sample([1, 2, 3, 4, 5, 6], 4, () => 0.5);
    expect(new Set(drawn).size).toBe(4);
    expect(sample([1, 2], 10)).toHaveLength(2);
  });
});

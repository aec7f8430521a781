/**
 * The claim protocol as real S3 answers it, with a mocked S3 client: 412 PreconditionFailed on the
 * If-None-Match claim, 409 ConditionalRequestConflict when two conditional writes race, and the If-Match
 * takeover of a stale claim. The exact conditional headers sent are asserted.
 */
import { DeleteObjectCommand, GetObjectCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { claimAgeMs, recordBlocks, reminderKey, runReminders, type ReminderRecord, type ReminderSender } from '../../src/clinic/reminders.js';
import type { Appointment, Patient } from '../../src/clinic/types.js';
import { parseConfig } from '../../src/config/load.js';
import { SendFailure } from '../../src/mail/ses.js';
import { Store } from '../../src/store/store.js';

const config = parseConfig({ clinic: { name: 'Clínica Teste', timeZone: 'America/Sao_Paulo' }, mail: { sender: 'lembretes@clinicateste.com.br' } });
const appointment: Appointment = {
  id: 'A-20300312-abc123',
  patientId: 'P-000001',
  dentist: 'Dra. Ana',
  start: '2030-03-12T14:30:00-03:00',
  durationMinutes: 30,
  status: 'scheduled',
  createdAt: '2030-01-01T00:00:00Z',
  updatedAt: '2030-01-01T00:00:00Z',
  version: 1,
};
const patient = {
  id: 'P-000001',
  fullName: 'Ana Souza',
  email: 'ana@example.com',
  status: 'active',
  alerts: [],
  consent: { emailReminders: true },
  createdAt: '2030-01-01T00:00:00Z',
  updatedAt: '2030-01-01T00:00:00Z',
  version: 1,
} as Patient;
const key = reminderKey(appointment.id, 'day-before');
const now = new Date('2030-03-11T12:00:00Z'); // 09:00 in São Paulo

const body = (value: unknown) => ({ transformToByteArray: async () => new TextEncoder().encode(JSON.stringify(value)) });
const s3Error = (name: string, status: number) => Object.assign(new Error(name), { name, $metadata: { httpStatusCode: status } });

function fakeSender() {
  const sent: string[] = [];
  const sender: ReminderSender = { send: async (_raw, to) => (sent.push(to), { messageId: `m-${sent.length}`, attempts: 1 }) };
  return { sent, openSender: async () => ({ sender }) };
}

let active: ReturnType<typeof mockClient> | undefined;
afterEach(() => active?.restore());

/** The mocked S3 of one day-before reminder (the record at its key, if any), and a run of the reminders against it. */
function setup(existing: ReminderRecord | undefined) {
  const mock = mockClient(S3Client);
  mock.on(ListObjectsV2Command).resolves({ Contents: [] });
  mock.on(ListObjectsV2Command, { Prefix: 'appointments/2030-03-12/' }).resolves({ Contents: [{ Key: `appointments/2030-03-12/${appointment.id}.json`, Size: 1, ETag: '"a"' }] });
  mock.on(GetObjectCommand, { Key: `appointments/2030-03-12/${appointment.id}.json` }).resolves({ Body: body(appointment), ETag: '"a"' } as never);
  mock.on(GetObjectCommand, { Key: 'patients/P-000001.json' }).resolves({ Body: body(patient), ETag: '"p"' } as never);
  if (existing) mock.on(GetObjectCommand, { Key: key }).resolves({ Body: body(existing), ETag: '"r1"' } as never);
  else mock.on(GetObjectCommand, { Key: key }).rejects(s3Error('NoSuchKey', 404));
  const store = new Store(new S3Client({ region: 'sa-east-1' }), 'bucket');
  active = mock;
  /** one run of the day-before reminders (a sender that records the addresses, unless another is given) */
  const run = async (openSender?: () => Promise<{ sender: ReminderSender }>) => {
    const fake = fakeSender();
    const summary = await runReminders({ store, config, now, openSender: openSender ?? fake.openSender, rule: 'day-before' });
    return { summary, sent: fake.sent };
  };
  return { mock, store, run };
}

const claimBy = (claimedAt: Date, status: ReminderRecord['status'] = 'claimed'): ReminderRecord => ({
  appointmentId: appointment.id,
  patientId: appointment.patientId,
  rule: 'day-before',
  appointmentStart: appointment.start,
  status,
  claimedAt: claimedAt.toISOString(),
  claimedBy: 'other-run',
  attempts: 1,
  dueAt: now.toISOString(),
});

const puts = (mock: ReturnType<typeof mockClient>) =>
  mock.commandCalls(PutObjectCommand).map((c) => {
    const input = c.args[0].input as { Key: string; IfMatch?: string; IfNoneMatch?: string; Body: string };
    return { key: input.Key, ifMatch: input.IfMatch, ifNoneMatch: input.IfNoneMatch, status: (JSON.parse(input.Body) as ReminderRecord).status };
  });

describe('claims on real S3 semantics (mocked client)', () => {
  it('claims with If-None-Match: *, sends, then marks sent with If-Match on the claim ETag', async () => {
    const { mock, run } = setup(undefined);
    mock.on(PutObjectCommand, { Key: key }).resolvesOnce({ ETag: '"c1"' }).resolvesOnce({ ETag: '"c2"' });
    const { summary, sent } = await run();
    expect(summary.sent).toBe(1);
    expect(sent).toEqual(['ana@example.com']);
    expect(puts(mock)).toEqual([
      { key, ifMatch: undefined, ifNoneMatch: '*', status: 'claimed' },
      { key, ifMatch: '"c1"', ifNoneMatch: undefined, status: 'sent' },
    ]);
  });

  it('412 on the claim and a fresh claim by another run: nothing is sent, nothing is overwritten', async () => {
    const { mock, run } = setup(claimBy(new Date()));
    mock.on(PutObjectCommand, { Key: key }).rejects(s3Error('PreconditionFailed', 412));
    const { summary, sent } = await run();
    expect(summary.skipped).toEqual({ 'in-progress': 1 });
    expect(sent).toEqual([]);
    expect(puts(mock)).toEqual([{ key, ifMatch: undefined, ifNoneMatch: '*', status: 'claimed' }]);
  });

  it('412 and the record says sent: already-sent', async () => {
    const { mock, run } = setup(claimBy(new Date(), 'sent'));
    mock.on(PutObjectCommand, { Key: key }).rejects(s3Error('PreconditionFailed', 412));
    const { summary, sent } = await run();
    expect(summary.skipped).toEqual({ 'already-sent': 1 });
    expect(sent).toEqual([]);
  });

  it('a record found by the day\'s LIST that says sent: skipped without reading the patient or claiming', async () => {
    const { mock, run } = setup(claimBy(new Date(), 'sent'));
    mock.on(ListObjectsV2Command, { Prefix: 'reminders/A-20300312-' }).resolves({ Contents: [{ Key: key, Size: 1, ETag: '"r1"' }] });
    const { summary, sent } = await run();
    expect(summary.skipped).toEqual({ 'already-sent': 1 });
    expect(sent).toEqual([]);
    expect(mock.commandCalls(PutObjectCommand)).toHaveLength(0);
    expect(mock.commandCalls(GetObjectCommand).map((c) => c.args[0].input.Key)).not.toContain('patients/P-000001.json');
  });

  it('412 and a record caught mid-write (broken JSON on the local server): treated as in progress, the run goes on', async () => {
    const { mock, run } = setup(undefined);
    mock.on(GetObjectCommand, { Key: key }).resolves({ Body: { transformToByteArray: async () => new TextEncoder().encode('{"status":"cla') }, ETag: '"r1"' } as never);
    mock.on(PutObjectCommand, { Key: key }).rejects(s3Error('PreconditionFailed', 412));
    const { summary, sent } = await run();
    expect(summary.skipped).toEqual({ 'in-progress': 1 });
    expect(summary.aborted).toBeUndefined();
    expect(sent).toEqual([]);
  });

  it('412 and a stale claim (a crashed run): taken over with If-Match on its ETag, sent once', async () => {
    const { mock, run } = setup(claimBy(new Date(Date.now() - 20 * 60_000)));
    mock.on(PutObjectCommand, { Key: key }).rejectsOnce(s3Error('PreconditionFailed', 412)).resolvesOnce({ ETag: '"c2"' }).resolvesOnce({ ETag: '"c3"' });
    const { summary, sent } = await run();
    expect(summary.sent).toBe(1);
    expect(sent).toEqual(['ana@example.com']);
    expect(puts(mock)).toEqual([
      { key, ifMatch: undefined, ifNoneMatch: '*', status: 'claimed' },
      { key, ifMatch: '"r1"', ifNoneMatch: undefined, status: 'claimed' },
      { key, ifMatch: '"c2"', ifNoneMatch: undefined, status: 'sent' },
    ]);
  });

  it('412 and a rejected address: skipped while the patient record is the version it came from; taken over (If-Match) once it changed', async () => {
    const rejected = (patientVersion: number): ReminderRecord => ({ ...claimBy(new Date(Date.now() - 60_000), 'failed'), permanent: true, patientVersion });
    const before = setup(rejected(patient.version));
    before.mock.on(PutObjectCommand, { Key: key }).rejects(s3Error('PreconditionFailed', 412));
    const first = await before.run();
    expect(first.summary.skipped).toEqual({ rejected: 1 });
    expect(first.sent).toEqual([]);
    before.mock.restore();

    const after = setup(rejected(patient.version - 1)); // the record was edited since the rejection
    after.mock.on(PutObjectCommand, { Key: key }).rejectsOnce(s3Error('PreconditionFailed', 412)).resolvesOnce({ ETag: '"c2"' }).resolvesOnce({ ETag: '"c3"' });
    const second = await after.run();
    expect(second.summary.sent).toBe(1);
    expect(second.sent).toEqual(['ana@example.com']);
    expect(puts(after.mock).map((p) => [p.ifNoneMatch, p.ifMatch, p.status])).toEqual([
      ['*', undefined, 'claimed'],
      [undefined, '"r1"', 'claimed'],
      [undefined, '"c2"', 'sent'],
    ]);
  });

  it('two runs take over the same stale claim: the loser gets 412 (or 409) on If-Match and does not send', async () => {
    for (const loss of [s3Error('PreconditionFailed', 412), s3Error('ConditionalRequestConflict', 409)]) {
      const { mock, run } = setup(claimBy(new Date(Date.now() - 20 * 60_000)));
      mock.on(PutObjectCommand, { Key: key }).rejectsOnce(s3Error('PreconditionFailed', 412)).rejectsOnce(loss);
      const { summary, sent } = await run();
      expect(summary.skipped).toEqual({ 'in-progress': 1 });
      expect(sent).toEqual([]);
      expect(puts(mock).map((p) => [p.ifNoneMatch, p.ifMatch])).toEqual([
        ['*', undefined],
        [undefined, '"r1"'],
      ]);
      mock.restore();
    }
  });
});

describe('a claim given back unsent (the deadline passed while it waited for its SES slot)', () => {
  const expiredSender = () => {
    const sender: ReminderSender = { send: async () => Promise.reject(new SendFailure('expired', 'not sent: the deadline passed', undefined, 0)) };
    return async () => ({ sender });
  };

  it('a taken-over failed record is put back as it was, with If-Match on the claim', async () => {
    const failed = { ...claimBy(new Date(Date.now() - 60 * 60_000), 'failed'), error: 'SES 503', attempts: 2 };
    const { mock, run } = setup(failed);
    mock.on(PutObjectCommand, { Key: key }).rejectsOnce(s3Error('PreconditionFailed', 412)).resolvesOnce({ ETag: '"c2"' }).resolvesOnce({ ETag: '"c3"' });
    const { summary } = await run(expiredSender());
    expect(summary.items.map((i) => [i.status, i.why])).toEqual([['deferred', 'deadline']]);
    const written = mock.commandCalls(PutObjectCommand).map((c) => c.args[0].input as { IfMatch?: string; Body: string });
    expect(written).toHaveLength(3);
    expect(written[2]!.IfMatch).toBe('"c2"');
    expect(JSON.parse(written[2]!.Body)).toEqual(failed);
    expect(mock.commandCalls(DeleteObjectCommand)).toHaveLength(0);
  });

  it('a fresh claim (or a crashed run\'s taken-over claim) is deleted', async () => {
    for (const existing of [undefined, claimBy(new Date(Date.now() - 20 * 60_000))]) {
      const { mock, run } = setup(existing);
      if (existing) mock.on(PutObjectCommand, { Key: key }).rejectsOnce(s3Error('PreconditionFailed', 412)).resolvesOnce({ ETag: '"c2"' });
      else mock.on(PutObjectCommand, { Key: key }).resolvesOnce({ ETag: '"c1"' });
      mock.on(DeleteObjectCommand).resolves({});
      const { summary } = await run(expiredSender());
      expect(summary.deferred).toBe(1);
      expect(mock.commandCalls(DeleteObjectCommand).map((c) => c.args[0].input)).toEqual([{ Bucket: 'bucket', Key: key }]);
      expect(mock.commandCalls(PutObjectCommand)).toHaveLength(existing ? 2 : 1);
      mock.restore();
    }
  });
});

describe('a claim\'s age is read on S3\'s clock, not the machine\'s', () => {
  const timeout = 15 * 60_000;
  const s3Now = new Date('2030-03-11T12:00:00Z');
  const minutes = (n: number) => n * 60_000;
  const skewed = (ms: number) => () => new Date(s3Now.getTime() + ms);

  it('a live claim stays in progress for a machine whose clock runs 20 minutes ahead', () => {
    const stored = { value: claimBy(s3Now), lastModified: new Date(s3Now.getTime() - minutes(1)), serverTime: s3Now };
    expect(claimAgeMs(stored, skewed(minutes(20)))).toBe(minutes(1));
    expect(recordBlocks(stored, appointment.start, timeout, skewed(minutes(20)))).toBe('in-progress');
  });

  it('a live claim written by a machine whose clock runs behind (claimedAt 30 minutes old) stays in progress', () => {
    const stored = { value: claimBy(new Date(s3Now.getTime() - minutes(30))), lastModified: new Date(s3Now.getTime() - minutes(2)), serverTime: s3Now };
    expect(recordBlocks(stored, appointment.start, timeout, skewed(0))).toBe('in-progress');
  });

  it('a claim left 16 minutes ago by S3\'s clock is stale, even for a machine whose clock runs 10 minutes behind', () => {
    const stored = { value: claimBy(s3Now), lastModified: new Date(s3Now.getTime() - minutes(16)), serverTime: s3Now };
    expect(recordBlocks(stored, appointment.start, timeout, skewed(-minutes(10)))).toBeUndefined();
  });

  it('without S3\'s times (a record that could not be read whole) the claim\'s own time is used', () => {
    expect(recordBlocks({ value: claimBy(s3Now) }, appointment.start, timeout, skewed(minutes(1)))).toBe('in-progress');
    expect(recordBlocks({ value: claimBy(s3Now) }, appointment.start, timeout, skewed(minutes(16)))).toBeUndefined();
  });

  it('the Store returns LastModified (and S3\'s Date) when asked withTimes', async () => {
    const { mock, store } = setup(undefined);
    const written = new Date('2030-03-11T11:59:00Z');
    mock.on(GetObjectCommand, { Key: key }).resolves({ Body: body(claimBy(written)), ETag: '"r1"', LastModified: written } as never);
    expect(await store.getJson<ReminderRecord>(key, { withTimes: true })).toMatchObject({ etag: '"r1"', lastModified: written });
    // without withTimes the answer keeps its old shape
    expect(Object.keys((await store.getJson<ReminderRecord>(key))!).sort()).toEqual(['etag', 'value']);
  });
});

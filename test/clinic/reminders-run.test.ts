/**
 * `runReminders` against the real local stack: S3 behind the conditional-write proxy (real 412s over HTTP)
 * and the local SES, whose stored messages are the proof of what patients received.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { cancelAppointment } from '../../src/clinic/appointments.js';
import { updatePatient } from '../../src/clinic/patients.js';
import { listDueReminders, planReminders, reminderExitCode, reminderKey, runReminders, type ReminderRecord } from '../../src/clinic/reminders.js';
import { Store, type GetOptions, type PutOptions, type WriteOptions } from '../../src/store/store.js';
import { openSesSender, SesSender } from '../../src/mail/ses.js';
import { sesClient } from '../../src/aws/clients.js';
import { readOutbox, type OutboxMessage } from '../../src/local/ses-server.js';
import { memoryLog } from '../../src/log.js';
import { useTestStack } from '../helpers/stack.js';
import { eventStart, prop } from '../helpers/ics-reader.js';
import { startFakeSes } from '../helpers/fake-ses.js';
import { addPatient, book, seededPatients, sp, TZ } from '../helpers/reminder-seed.js';
import { personalDataIn } from '../helpers/log-guard.js';

const stack = useTestStack({ config: { reminders: { rules: [{ name: 'day-before', dayBeforeAt: '09:00' }, { name: '2h-before', leadMinutes: 120 }], quietHours: { start: '21:00', end: '08:00' }, claimTimeoutMinutes: 15, maxSendRate: 200 } } });
let store: Store;

beforeAll(async () => {
  store = stack.dataStore;
});

const sender = (endpoint?: string) => () =>
  openSesSender({ ...stack.target, endpoints: { ...stack.target.endpoints, ses: endpoint ?? stack.ses.endpoint } }, {
    configured: 200,
    sender: stack.config.mail.sender,
    retry: { baseDelayMs: 20, maxDelayMs: 100 },
  });

/** What the reminders function would have written to CloudWatch in this file's runs (debug included). */
const functionLog = memoryLog();
const ownLogs: ReturnType<typeof memoryLog>[] = [];
const keep = (log: ReturnType<typeof memoryLog>) => (ownLogs.push(log), log);

const run = (now: string, more: Partial<Parameters<typeof runReminders>[0]> = {}) =>
  runReminders({ store, config: stack.config, now: sp(now), openSender: sender(), actor: 'test', log: functionLog, ...more });

/** The UID, SEQUENCE and start of the .ics a message carries. */
function calendarOf(message: OutboxMessage) {
  const ics = message.attachments.find((x) => x.filename?.endsWith('.ics'))!;
  const { event, instant } = eventStart(Buffer.from(ics.content, 'base64').toString('utf8'));
  return { uid: prop(event, 'UID')!.value, sequence: prop(event, 'SEQUENCE')!.value, start: instant.toISOString() };
}

async function mailTo(address: string): Promise<OutboxMessage[]> {
  return (await readOutbox(stack.ses.endpoint)).filter((m) => m.destination.to.some((t) => t.includes(address)));
}

const record = async (appointmentId: string, rule: string) => (await store.getJson<ReminderRecord>(reminderKey(appointmentId, rule)))?.value;

describe('who gets what', () => {
  const ids: Record<string, string> = {};
  beforeAll(async () => {
    const ana = await addPatient(store, { fullName: 'Ana Beatriz Souza', preferredName: 'Bia', email: 'bia@example.com' });
    const bruno = await addPatient(store, { fullName: 'Bruno Costa', email: 'bruno@example.com', emailReminders: false });
    const carla = await addPatient(store, { fullName: 'Carla Dias' });
    const davi = await addPatient(store, { fullName: 'Davi Esteves', email: 'davi@example.com' });
    const eva = await addPatient(store, { fullName: 'Eva Farias', email: 'eva@example.com', status: 'inactive' });
    const fabio = await addPatient(store, { fullName: 'Fábio Gomes', email: 'fabio@example.com' });
    const gabi = await addPatient(store, { fullName: 'Gabriela Horta', email: 'gabi@example.com' });
    ids.ana = (await book(store, ana.id, '2030-03-12 14:30', 'Dra. Ana <Lima>')).id;
    ids.bruno = (await book(store, bruno.id, '2030-03-12 10:00')).id;
    ids.carla = (await book(store, carla.id, '2030-03-12 11:00')).id;
    ids.davi = (await book(store, davi.id, '2030-03-12 15:00')).id;
    await cancelAppointment(store, ids.davi, 'test');
    ids.eva = (await book(store, eva.id, '2030-03-12 16:00')).id;
    ids.fabio = (await book(store, fabio.id, '2030-03-12 07:30', 'Dr. Caio')).id;
    ids.gabi = (await book(store, gabi.id, '2030-03-12 09:00', 'Dr. Caio')).id;
  });

  it('day-before at 09:00: consented, active patients with an address get one; everyone else is counted by reason', async () => {
    const early = await run('2030-03-11 08:45');
    expect(early.due).toBe(0);
    expect(early.upcoming).toBeGreaterThan(0);

    const summary = await run('2030-03-11 09:00');
    expect(summary.sent).toBe(3);
    expect(summary.failed).toBe(0);
    expect(summary.skipped).toEqual({ 'no-consent': 1, 'no-email': 1, cancelled: 1, 'patient-inactive': 1 });
    expect(reminderExitCode(summary)).toBe(0);
    expect(summary.items.filter((i) => i.status === 'sent').map((i) => i.to).sort()).toEqual(['bia@example.com', 'fabio@example.com', 'gabi@example.com']);

    for (const nobody of ['bruno@', 'davi@', 'eva@']) expect(await mailTo(nobody)).toHaveLength(0);
    const [mail, ...more] = await mailTo('bia@example.com');
    expect(more).toHaveLength(0);
    expect(mail!.from).toContain(stack.config.mail.sender);
    expect(mail!.subject).toBe(`Lembrete: sua consulta amanhã, 12/03 às 14:30 — ${stack.config.clinic.name}`);
    expect(mail!.body.text).toContain('Olá, Bia!');
    expect(mail!.body.text).toContain('terça-feira, 12 de março de 2030');
    expect(mail!.body.text).toContain('Dentista: Dra. Ana <Lima>');
    expect(mail!.body.text).toContain(stack.config.clinic.phone);
    expect(mail!.body.text).toContain(stack.config.clinic.address);
    expect(mail!.body.html).toContain('Dra. Ana &lt;Lima&gt;');
    expect(mail!.body.html).toContain('Olá, Bia!');
    // nothing clinical: not the procedure
    expect(mail!.body.text).not.toContain('canal');
    expect(mail!.body.html).not.toContain('canal');

    const ics = mail!.attachments.find((a) => a.filename === 'consulta.ics')!;
    expect(ics.contentType).toMatch(/^text\/calendar/);
    const parsed = eventStart(Buffer.from(ics.content, 'base64').toString('utf8'));
    expect(parsed.instant.toISOString()).toBe(sp('2030-03-12 14:30').toISOString());
    expect(parsed.tzid).toBe(TZ);
    expect(prop(parsed.event, 'UID')!.value).toBe(`${ids.ana}@clinica`);
    expect(prop(parsed.event, 'SUMMARY')!.value).not.toContain('canal');

    const rec = await record(ids.ana!, 'day-before');
    expect(rec).toMatchObject({ status: 'sent', to: 'bi***@example.com', attempts: 1, appointmentStart: '2030-03-12T14:30:00-03:00' });
    expect(rec!.messageId).toBeTruthy();
  });

  it('a second run sends nothing', async () => {
    const again = await run('2030-03-11 09:15');
    expect(again.sent).toBe(0);
    expect(again.skipped['already-sent']).toBe(3);
    expect(await mailTo('bia@example.com')).toHaveLength(1);
  });

  it('a run at night counts the sent, cancelled and ineligible ones by that reason, not as quiet-hours', async () => {
    // booked in the evening for tomorrow: its day-before window closes inside quiet hours
    const hugo = await addPatient(store, { fullName: 'Hugo Ilha', email: 'hugo@example.com' });
    ids.hugo = (await book(store, hugo.id, '2030-03-12 18:00')).id;
    const night = await run('2030-03-11 22:00', { rule: 'day-before' });
    expect(night.sent).toBe(0);
    expect(night.skipped).toEqual({ 'already-sent': 3, 'no-consent': 1, 'no-email': 1, cancelled: 1, 'patient-inactive': 1, 'quiet-hours': 1 });
    expect(night.items.find((i) => i.reason === 'quiet-hours')!.appointmentId).toBe(ids.hugo);
  });

  it('quiet hours: 2 hours before a 09:00 appointment goes at 08:00; before a 07:30 one it is skipped', async () => {
    const night = await run('2030-03-12 07:00', { rule: '2h-before' });
    expect(night.sent).toBe(0);
    expect(night.skipped['quiet-hours']).toBe(1); // Fábio, 07:30
    expect(night.items.find((i) => i.reason === 'quiet-hours')!.appointmentId).toBe(ids.fabio);

    const morning = await run('2030-03-12 08:00', { rule: '2h-before' });
    expect(morning.items.filter((i) => i.status === 'sent').map((i) => i.appointmentId)).toEqual([ids.gabi]);
    expect(morning.items.find((i) => i.status === 'sent')!.dueAt).toBe(sp('2030-03-12 08:00').toISOString());
    const gabi = await mailTo('gabi@example.com');
    expect(gabi).toHaveLength(2);
    expect(gabi[1]!.subject).toBe(`Lembrete: sua consulta hoje, 12/03 às 09:00 — ${stack.config.clinic.name}`);
  });

  it('on the day itself: the day-before reminders sent yesterday are already-sent; one never sent is window-closed', async () => {
    const summary = await run('2030-03-12 12:30');
    expect(summary.items.filter((i) => i.status === 'sent').map((i) => `${i.appointmentId} ${i.rule}`)).toEqual([`${ids.ana} 2h-before`]);
    // Ana's (14:30) went yesterday; Davi's is cancelled, Eva inactive; Hugo's (booked at night) never went
    expect(summary.skipped).toEqual({ 'already-sent': 1, cancelled: 1, 'patient-inactive': 1, 'window-closed': 1 });
    expect(summary.items.find((i) => i.reason === 'window-closed')).toMatchObject({ appointmentId: ids.hugo, rule: 'day-before' });
  });

  it('--dry-run lists who would get what and sends nothing', async () => {
    const pat = await addPatient(store, { fullName: 'Heitor Ilha', email: 'heitor@example.com' });
    await book(store, pat.id, '2030-03-20 10:00');
    const dry = await run('2030-03-19 09:00', { dryRun: true, openSender: undefined });
    expect(dry.wouldSend).toBe(1);
    expect(dry.items.find((i) => i.status === 'would-send')!.to).toBe('heitor@example.com');
    expect(await mailTo('heitor@')).toHaveLength(0);
    const real = await run('2030-03-19 09:00');
    expect(real.sent).toBe(1);
    const dryAfter = await run('2030-03-19 09:30', { dryRun: true, openSender: undefined });
    expect(dryAfter.skipped['already-sent']).toBe(1);
  });

  it('the dry run is the plan listed: no write to S3, no sender opened, the would-send items with their address', async () => {
    const pat = await addPatient(store, { fullName: 'Iara Plano', email: 'iara@example.com' });
    const a = await book(store, pat.id, '2030-03-27 10:00');
    const writes: string[] = [];
    class WatchedStore extends Store {
      override async put(key: string, body: Parameters<Store['put']>[1], options?: PutOptions) {
        writes.push(key);
        return super.put(key, body, options);
      }
      override async delete(key: string) {
        writes.push(key);
        return super.delete(key);
      }
    }
    const watched = new WatchedStore(store.s3, store.bucket, store.where);
    let opened = 0;
    const plan = planReminders({ store: watched, config: stack.config, now: sp('2030-03-26 09:00'), actor: 'test', openSender: async () => (opened++, sender()()) });
    const listed = await listDueReminders(plan);
    expect(listed.dryRun).toBe(true);
    expect(listed.items.filter((i) => i.appointmentId === a.id)).toEqual([
      expect.objectContaining({ status: 'would-send', rule: 'day-before', to: 'iara@example.com', channel: 'email' }),
    ]);
    expect(listed.sent).toBe(0);
    expect(writes).toEqual([]);
    expect(opened).toBe(0);
    expect(await record(a.id, 'day-before')).toBeUndefined();
    expect(await mailTo('iara@')).toHaveLength(0);
  });
});

describe('English', () => {
  it('sends the English template when the clinic locale is en', async () => {
    const p = await addPatient(store, { fullName: 'John Smith', email: 'john@example.com' });
    const a = await book(store, p.id, '2030-04-02 16:15', 'Dr. Who');
    const config = { ...stack.config, clinic: { ...stack.config.clinic, locale: 'en' as const } };
    const summary = await runReminders({ store, config, now: sp('2030-04-01 09:00'), openSender: sender(), actor: 'test' });
    expect(summary.sent).toBe(1);
    const [mail] = await mailTo('john@example.com');
    expect(mail!.subject).toBe(`Reminder: your appointment tomorrow, Apr 2 at 4:15 PM — ${stack.config.clinic.name}`);
    expect(mail!.body.text).toContain('Hello John,');
    expect(mail!.body.text).toContain('Tuesday, April 2, 2030');
    expect(mail!.body.text).toContain('Dentist:  Dr. Who');
    expect(mail!.body.html).toContain('To reschedule or cancel');
    const ics = mail!.attachments.find((a) => a.filename === 'appointment.ics')!;
    const parsed = eventStart(Buffer.from(ics.content, 'base64').toString('utf8'));
    expect(parsed.instant.toISOString()).toBe(sp('2030-04-02 16:15').toISOString());
    expect(parsed.tzid).toBe(TZ);
    expect((await record(a.id, 'day-before'))!.locale).toBe('en');
  });
});

describe('exactly once', () => {
  it('two runs at the same time send each reminder once', async () => {
    const emails = Array.from({ length: 6 }, (_, i) => `par${i}@example.com`);
    for (const [i, email] of emails.entries()) {
      const p = await addPatient(store, { fullName: `Paralelo ${i} Teste`, email });
      await book(store, p.id, `2030-05-07 ${String(9 + i).padStart(2, '0')}:00`);
    }
    const [a, b] = await Promise.all([run('2030-05-06 09:00'), run('2030-05-06 09:00')]);
    expect(a.sent + b.sent).toBe(6);
    expect((a.skipped['already-sent'] ?? 0) + (a.skipped['in-progress'] ?? 0) + (b.skipped['already-sent'] ?? 0) + (b.skipped['in-progress'] ?? 0)).toBe(6);
    for (const email of emails) expect(await mailTo(email)).toHaveLength(1);
  });

  it('a claim held by another run (412 on the claim) is not sent, also by a machine whose clock runs ahead; once stale on S3\'s clock, it is taken over and sent once', async () => {
    const p = await addPatient(store, { fullName: 'Conflito Teste', email: 'conflito@example.com' });
    const a = await book(store, p.id, '2030-06-05 10:00');
    const key = reminderKey(a.id, 'day-before');
    // the competing run claims between our listing and our claim: our If-None-Match write gets a real 412
    class RacingStore extends Store {
      override async putJson(k: string, value: unknown, options: WriteOptions = {}) {
        if (k === key && options.ifNoneMatch) {
          await super.putJson(k, { ...(value as ReminderRecord), claimedBy: 'other-run', claimedAt: new Date().toISOString() }, { ifNoneMatch: '*' });
        }
        return super.putJson(k, value, options);
      }
    }
    const racing = new RacingStore(store.s3, store.bucket, store.where);
    const log = keep(memoryLog());
    const first = await runReminders({ store: racing, config: stack.config, now: sp('2030-06-04 09:00'), openSender: sender(), actor: 'test', log });
    expect(first.sent).toBe(0);
    expect(first.skipped['in-progress']).toBe(1);
    expect(await mailTo('conflito@')).toHaveLength(0);
    expect((await record(a.id, 'day-before'))).toMatchObject({ status: 'claimed', claimedBy: 'other-run' });

    // S3 answers with its own clock: the claim is seconds old there, and LastModified says so
    const stored = await store.getJson<ReminderRecord>(key, { withTimes: true });
    expect(stored!.serverTime).toBeInstanceOf(Date);
    expect(stored!.lastModified).toBeInstanceOf(Date);

    // this machine's clock runs 20 minutes ahead: the claim is still the other run's, by S3's clock
    const ahead = () => new Date(Date.now() + 20 * 60_000);
    const skewed = await run('2030-06-04 09:10', { clock: ahead, log });
    expect(skewed.sent).toBe(0);
    expect(skewed.skipped['in-progress']).toBe(1);
    expect(await mailTo('conflito@')).toHaveLength(0);

    // the other run crashed: 16 minutes later by S3's clock (claimTimeoutMinutes 15) the claim is stale and taken over
    class LaterStore extends Store {
      override async getJson<T>(k: string, options?: GetOptions) {
        const got = await super.getJson<T>(k, options);
        return got && got.serverTime ? { ...got, serverTime: new Date(got.serverTime.getTime() + 16 * 60_000) } : got;
      }
    }
    const second = await run('2030-06-04 09:15', { store: new LaterStore(store.s3, store.bucket, store.where), log });
    expect(second.sent).toBe(1);
    expect(log.entries.some((e) => /took over .*claimed by other-run/.test(e.message))).toBe(true);
    expect(await record(a.id, 'day-before')).toMatchObject({ status: 'sent', attempts: 2 });
    expect(await mailTo('conflito@')).toHaveLength(1);
  });

  it('an appointment moved within the day gets a reminder for its new time', async () => {
    const { moveAppointment } = await import('../../src/clinic/appointments.js');
    const p = await addPatient(store, { fullName: 'Movido Teste', email: 'movido@example.com' });
    const a = await book(store, p.id, '2030-06-12 10:00');
    expect((await run('2030-06-11 09:00')).sent).toBeGreaterThanOrEqual(1);
    const moved = await moveAppointment(store, a.id, '2030-06-12 15:00', 'test', { timeZone: TZ, force: true });
    expect(moved.id).toBe(a.id);
    const again = await run('2030-06-11 10:00');
    expect(again.items.find((i) => i.appointmentId === a.id && i.rule === 'day-before')!.status).toBe('sent');
    const mails = await mailTo('movido@');
    expect(mails).toHaveLength(2);
    expect(mails[1]!.subject).toContain('15:00');
    const ics = Buffer.from(mails[1]!.attachments[0]!.content, 'base64').toString();
    expect(prop(eventStart(ics).event, 'SEQUENCE')!.value).toBe('1');
    // the 2-hours-before reminder updates the same entry with the same revision (it carried SEQUENCE:0)
    expect((await run('2030-06-12 13:00', { rule: '2h-before' })).sent).toBe(1);
    const calendar = (await mailTo('movido@')).map((m) => calendarOf(m));
    expect(calendar.map((c) => [c.uid, c.sequence])).toEqual([
      [`${a.id}@clinica`, '0'],
      [`${a.id}@clinica`, '1'],
      [`${a.id}@clinica`, '1'],
    ]);
  });

  it('an appointment moved to another day (a new id) keeps its calendar entry: same UID, higher SEQUENCE', async () => {
    const { moveAppointment } = await import('../../src/clinic/appointments.js');
    const p = await addPatient(store, { fullName: 'Outro Dia Teste', email: 'outrodia@example.com' });
    const a = await book(store, p.id, '2030-06-19 10:00');
    expect((await run('2030-06-18 09:00')).items.find((i) => i.appointmentId === a.id)!.status).toBe('sent');
    const moved = await moveAppointment(store, a.id, '2030-06-20 11:00', 'test', { timeZone: TZ, force: true });
    expect(moved.id).not.toBe(a.id);
    expect((await run('2030-06-19 09:00')).items.find((i) => i.appointmentId === moved.id)!.status).toBe('sent');
    // and once more, back a day: a third id, the same entry
    const again = await moveAppointment(store, moved.id, '2030-06-19 16:00', 'test', { timeZone: TZ, force: true });
    expect((await run('2030-06-19 14:00', { rule: '2h-before' })).items.find((i) => i.appointmentId === again.id)!.status).toBe('sent');
    const calendar = (await mailTo('outrodia@')).map((m) => calendarOf(m));
    expect(calendar.map((c) => [c.uid, c.sequence, c.start])).toEqual([
      [`${a.id}@clinica`, '0', sp('2030-06-19 10:00').toISOString()],
      [`${a.id}@clinica`, '1', sp('2030-06-20 11:00').toISOString()],
      [`${a.id}@clinica`, '2', sp('2030-06-19 16:00').toISOString()],
    ]);
  });
});

describe('catching up with --at in the past', () => {
  it('sends what was due then, except for appointments that have begun by the wall clock, and words the day from the sending time', async () => {
    const p = await addPatient(store, { fullName: 'Atraso Teste', email: 'atraso@example.com' });
    const begun = await book(store, p.id, '2030-09-24 09:00');
    const later = await book(store, p.id, '2030-09-24 11:00', 'Dr. Caio');
    // the machine was off: at 10:00 on the day, the receptionist catches up as of 20:00 the evening before
    const summary = await run('2030-09-23 20:00', { clock: () => sp('2030-09-24 10:00'), rule: 'day-before' });
    expect(summary.items.filter((i) => i.patientId === p.id).map((i) => [i.appointmentId, i.status])).toEqual([[later.id, 'sent']]);
    expect(summary.items.some((i) => i.appointmentId === begun.id)).toBe(false);
    const mails = await mailTo('atraso@');
    expect(mails).toHaveLength(1);
    // read on the 24th: "today", not the "tomorrow" it would have been on the 23rd
    expect(mails[0]!.subject).toBe(`Lembrete: sua consulta hoje, 24/09 às 11:00 — ${stack.config.clinic.name}`);
  });
});

describe('the Lambda deadline (a fake clock that the SES pacing moves)', () => {
  /** a SesSender at 1/s on a fake clock: waiting for a slot or a retry moves the clock, not the test */
  async function pacedSender(endpoint: string, options: { baseDelayMs?: number } = {}) {
    const base = Date.now();
    let now = 0;
    const client = await sesClient({ ...stack.target, endpoints: { ...stack.target.endpoints, ses: endpoint }, maxAttempts: 1 });
    const sender = new SesSender({ client, ratePerSecond: 1, clock: () => now, sleep: async (ms) => void (now += ms), random: () => 1, ...options });
    return { sender, clock: () => new Date(base + now), deadlineIn: (ms: number) => base + ms };
  }
  const claimsIn = (counter: { n: number }) =>
    class CountingStore extends Store {
      override async putJson(k: string, value: unknown, options: WriteOptions = {}) {
        if (options.ifNoneMatch) counter.n++;
        return super.putJson(k, value, options);
      }
    };

  it('a claim whose SES slot comes after the deadline is given back unsent; the next run sends it once', async () => {
    const emails = ['prazo1@example.com', 'prazo2@example.com'];
    const appointments = [];
    for (const [i, email] of emails.entries()) {
      const p = await addPatient(store, { fullName: `Prazo ${i} Teste`, email });
      appointments.push(await book(store, p.id, `2030-10-09 1${i}:00`));
    }
    // SES throttles the first message; its 2 s backoff ends past the deadline (1.5 s away)
    const fake = await startFakeSes(stack.ses.endpoint, { throttleFirst: 1 });
    try {
      const { sender: ses, clock, deadlineIn } = await pacedSender(fake.endpoint, { baseDelayMs: 2_000 });
      const late = await run('2030-10-08 09:00', { openSender: async () => ({ sender: ses }), clock, deadline: deadlineIn(1_500), concurrency: 1 });
      expect(late.sent).toBe(0);
      expect(late.items.map((i) => [i.status, i.why])).toEqual([
        ['deferred', 'deadline'],
        ['deferred', 'deadline'],
      ]);
      expect(fake.counts.throttled).toBe(1);
      // given back untouched: no claim is left for the next run to wait 15 minutes on
      for (const a of appointments) expect(await record(a.id, 'day-before')).toBeUndefined();
      for (const email of emails) expect(await mailTo(email)).toHaveLength(0);
    } finally {
      await fake.stop();
    }
    const next = await run('2030-10-08 09:15');
    expect(next.items.filter((i) => i.status === 'sent').map((i) => i.to).sort()).toEqual(emails);
    for (const email of emails) expect(await mailTo(email)).toHaveLength(1);
    for (const a of appointments) expect(await record(a.id, 'day-before')).toMatchObject({ status: 'sent', attempts: 1 });
  });

  it('no more is claimed than the send rate lets go out before the deadline', async () => {
    const emails = Array.from({ length: 5 }, (_, i) => `ritmo${i}@example.com`);
    for (const [i, email] of emails.entries()) {
      const p = await addPatient(store, { fullName: `Ritmo ${i} Teste`, email });
      await book(store, p.id, `2030-10-16 1${i}:00`);
    }
    const claims = { n: 0 };
    const Counting = claimsIn(claims);
    const { sender: ses, clock, deadlineIn } = await pacedSender(stack.ses.endpoint);
    // 1/s and 2.5 s left: slots at 0, 1 and 2 s at most
    const summary = await run('2030-10-15 09:00', { store: new Counting(store.s3, store.bucket, store.where), openSender: async () => ({ sender: ses }), clock, deadline: deadlineIn(2_500) });
    expect(summary.sent).toBeGreaterThanOrEqual(2);
    expect(summary.sent).toBeLessThanOrEqual(3);
    expect(summary.sent + summary.deferred).toBe(5);
    expect(summary.items.filter((i) => i.status === 'deferred').every((i) => i.why === 'deadline')).toBe(true);
    // every claim was sent: none waited for a slot past the deadline
    expect(claims.n).toBe(summary.sent);
    const sentTo = summary.items.filter((i) => i.status === 'sent').map((i) => i.to!);
    for (const email of emails) expect(await mailTo(email)).toHaveLength(sentTo.includes(email) ? 1 : 0);
  });
});

describe('SES trouble', () => {
  it('throttling and 5xx are retried; a rejected address is recorded as failed and not retried until the patient record changes (the address corrected)', async () => {
    const ok = await addPatient(store, { fullName: 'Lento Teste', email: 'lento@example.com' });
    const bad = await addPatient(store, { fullName: 'Rejeitado Teste', email: 'rejeitado@example.com' });
    await book(store, ok.id, '2030-07-03 10:00');
    const badAppt = await book(store, bad.id, '2030-07-03 11:00');
    const fake = await startFakeSes(stack.ses.endpoint, { throttleFirst: 2, failFirst: 1, reject: /rejeitado@/ });
    try {
      const summary = await run('2030-07-02 09:00', { openSender: sender(fake.endpoint), concurrency: 1 });
      expect(fake.counts.throttled).toBe(2);
      expect(fake.counts.failed).toBe(1);
      expect(summary.sent).toBe(1);
      expect(summary.failed).toBe(1);
      expect(reminderExitCode(summary)).toBe(3);
      expect(summary.items.find((i) => i.status === 'failed')).toMatchObject({ to: 'rejeitado@example.com', errorCode: 'MessageRejected' });
      expect(await mailTo('lento@')).toHaveLength(1);
      expect(await record(badAppt.id, 'day-before')).toMatchObject({ status: 'failed', permanent: true, errorCode: 'MessageRejected', error: 'Address blacklisted: re***@example.com', to: 're***@example.com' });

      const rejectedBefore = fake.counts.rejected;
      const again = await run('2030-07-02 09:15', { openSender: sender(fake.endpoint) });
      expect(again.skipped.rejected).toBe(1);
      expect(again.failed).toBe(0);
      expect(fake.counts.rejected).toBe(rejectedBefore);

      // the warning tells whose address it is and what to do about it
      const log = keep(memoryLog());
      await updatePatient(store, bad.id, { notes: 'liga de manhã' }, 'test'); // another edit, the same bad address
      const retried = await run('2030-07-02 09:30', { openSender: sender(fake.endpoint), log });
      expect(fake.counts.rejected).toBe(rejectedBefore + 1); // tried once more after the edit, rejected again
      expect(retried.failed).toBe(1);
      expect(log.entries.find((e) => e.level === 'warn')?.message).toMatch(new RegExp(`\\(patient ${bad.id}\\) .*failed \\(rejected\\).*clinica patients update ${bad.id} --email`));
      expect((await run('2030-07-02 09:45', { openSender: sender(fake.endpoint) })).skipped.rejected).toBe(1);
      expect(fake.counts.rejected).toBe(rejectedBefore + 1); // and then not again

      // the receptionist corrects the address: the next run sends the reminder there, once
      await updatePatient(store, bad.id, { email: 'corrigido@example.com' }, 'test');
      const fixed = await run('2030-07-02 10:00', { openSender: sender(fake.endpoint) });
      expect(fixed.sent).toBe(1);
      expect(fixed.items.find((i) => i.status === 'sent')).toMatchObject({ appointmentId: badAppt.id, to: 'corrigido@example.com' });
      expect(await mailTo('corrigido@')).toHaveLength(1);
      expect(await record(badAppt.id, 'day-before')).toMatchObject({ status: 'sent', to: 'co***@example.com' });
      expect((await run('2030-07-02 10:15', { openSender: sender(fake.endpoint) })).sent).toBe(0);
    } finally {
      await fake.stop();
    }
  });

  it('an account still in the SES sandbox (recipient not verified): the run stops, exit 1, nothing marked rejected', async () => {
    const p = await addPatient(store, { fullName: 'Caixa Areia Teste', email: 'areia@example.com' });
    const a = await book(store, p.id, '2030-08-14 10:00');
    const fake = await startFakeSes(stack.ses.endpoint, {
      reject: /areia@/,
      rejectMessage: (to) => `Email address is not verified. The following identities failed the check in region SA-EAST-1: ${to}`,
    });
    try {
      const sandboxed = await run('2030-08-13 09:00', { openSender: sender(fake.endpoint) });
      expect(reminderExitCode(sandboxed)).toBe(1);
      expect(sandboxed.aborted).toMatchObject({ kind: 'config', message: expect.stringMatching(/SES sandbox/) });
      expect(sandboxed.items.find((i) => i.appointmentId === a.id)).toMatchObject({ status: 'deferred', why: 'stopped' });
      expect((await record(a.id, 'day-before'))?.permanent).not.toBe(true);
    } finally {
      await fake.stop();
    }
    // production access granted: the next run sends it
    expect((await run('2030-08-13 09:15')).items.find((i) => i.appointmentId === a.id)).toMatchObject({ status: 'sent' });
  });

  it('SES unreachable: the run stops, exit 1, its reminders deferred (not failed), and the next run sends what was left', async () => {
    const emails = ['down1@example.com', 'down2@example.com', 'down3@example.com'];
    for (const [i, email] of emails.entries()) {
      const p = await addPatient(store, { fullName: `Fora ${i} Teste`, email });
      await book(store, p.id, `2030-08-07 1${i}:00`);
    }
    const log = keep(memoryLog());
    const down = await run('2030-08-06 09:00', { openSender: sender('http://127.0.0.1:9'), log });
    expect(down.sent).toBe(0);
    expect(down.aborted?.kind).toBe('unavailable');
    expect(reminderExitCode(down)).toBe(1);
    // nothing is wrong with these reminders: deferred to the next run, not failed
    expect(down.failed).toBe(0);
    expect(down.items.filter((i) => emails.includes(i.to ?? '') || i.status === 'deferred').map((i) => [i.status, i.why])).toEqual([
      ['deferred', 'stopped'],
      ['deferred', 'stopped'],
      ['deferred', 'stopped'],
    ]);
    // the outage is the caller's one line to print (summary.aborted), not one warning per reminder
    expect(log.entries.filter((e) => e.level !== 'debug')).toEqual([]);

    const up = await run('2030-08-06 09:15');
    expect(up.sent).toBe(3);
    for (const email of emails) expect(await mailTo(email)).toHaveLength(1);
  });
});

// last in the file: every run above logged into functionLog (or a log of its own, checked here too)
describe("the function's log", () => {
  it('names no patient: no name, CPF, e-mail or phone in any line of any run above', () => {
    expect(functionLog.entries.length).toBeGreaterThan(0);
    expect(seededPatients.length).toBeGreaterThan(10);
    expect(personalDataIn([...functionLog.entries, ...ownLogs.flatMap((l) => l.entries)], seededPatients)).toEqual([]);
  });
});

/**
 * invite-all at deploy. Against the mocked AWS account: the deploy plan lists the token-only accounts, only once
 * SES can send (a warning before that, and for an account without an e-mail); apply invites them and sends one
 * SendRawEmail each, after every other step; the next plan lists no one. Against the real local S3 and SES: the
 * e-mail carries a working invitation link, a re-run invites no one twice, and a link that expired unused makes
 * the account due again (an ordinary invitation that expired does not).
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { readOutbox } from '../../src/local/ses-server.js';
import { acceptInvitation, addStaff, editStaff, getStaff, INVITATION_HOURS, invitationsDue, sha256Hex, staffKey, type DueInvitation, type StaffRecord } from '../../src/clinic/staff.js';
import { applyPlan, pending } from '../../src/infra/plan.js';
import { planDeploy } from '../../src/infra/stack.js';
import { sendDueInvitations, type InvitingContext } from '../../src/infra/staff-invitations.js';
import { Store } from '../../src/store/store.js';
import { useTestStack } from '../helpers/stack.js';
import { fakeAws, type FakeAws } from './fake-aws.js';
import { apply, openTestInfra, testConfig } from './helpers.js';

const SENDER = 'lembretes@clinicasorriso.com.br';
const PASSWORD = 'cavalo azul pedra lua';

/** An account from before e-mail sign-in (a token, no password), with an e-mail set afterwards or none. */
async function tokenOnly(store: Store, name: string, email?: string): Promise<string> {
  const id = `${name.split(' ')[0]!.toLowerCase()}-${++serial}`;
  const record: StaffRecord = { id, name, role: 'reception', createdAt: '2025-03-01T12:00:00.000Z', createdBy: 'cli:old', tokenHash: sha256Hex(`${id}.${'s'.repeat(43)}`) };
  await store.putJson(staffKey(id), record);
  if (email) await editStaff(store, id, { email }, 'test:setup');
  return id;
}
let serial = 0;

describe('invite-all at deploy (mocked AWS)', () => {
  let fake: FakeAws;
  beforeEach(() => {
    fake = fakeAws();
  });
  afterEach(() => fake.restore());

  it('plans the token-only accounts once SES can send, e-mails each invitation last, and plans no one the next time', async () => {
    const config = await testConfig();
    await apply(await planDeploy(await openTestInfra(fake, config)));
    const ctx = await openTestInfra(fake, config);
    const store = new Store(ctx.clients.s3, ctx.names.dataBucket);
    const ana = await tokenOnly(store, 'Ana Recepção', 'ana@clinicasorriso.com.br');
    const bia = await tokenOnly(store, 'Bia Sem E-mail');
    await addStaff(store, { name: 'Caio Convidado', role: 'dentist', email: 'caio@clinicasorriso.com.br' }, 'test:setup');

    // the sender is not verified yet: no step, a warning naming the account and the command
    const early = await planDeploy(await openTestInfra(fake, config));
    expect(early.steps.find((s) => s.id === 'staff-invitations')).toBeUndefined();
    expect(early.warnings!.join('\n')).toMatch(new RegExp(`need an invitation \\(Ana Recepção \\(${ana}\\)\\): SES cannot send.*clinica staff invite-all`));
    expect(early.warnings!.join('\n')).toContain(`cannot be invited: Bia Sem E-mail (${bia})`);

    fake.state.identities.set(SENDER, 'Success');
    const plan = await planDeploy(await openTestInfra(fake, config));
    const step = plan.steps.find((s) => s.id === 'staff-invitations')!;
    expect(step).toMatchObject({ action: 'create', kind: 'staff invitations', name: '1 account' });
    expect(step.why).toBe(`token-only accounts to invite by e-mail: Ana Recepção (${ana})`);
    expect(plan.steps.at(-1)).toBe(step);
    expect(pending(plan).map((s) => s.id)).toEqual(['staff-invitations']);

    fake.clear();
    const result = await applyPlan(plan);
    expect(result.failed).toBeUndefined();
    // what apply wrote: the account's record (the invitation) and its audit entry, then the one e-mail
    const sent = fake.named('SendRawEmail');
    expect(sent).toHaveLength(1);
    expect(sent[0]!.input.Destinations).toEqual(['ana@clinicasorriso.com.br']);
    const raw = Buffer.from(sent[0]!.input.RawMessage.Data).toString('utf8');
    expect(raw).toMatch(/#invitation=/);
    expect(fake.calls.at(-1)!.command).toBe('SendRawEmail');
    expect(fake.mutating().filter((c) => c.service !== 'S3' && c.command !== 'SendRawEmail')).toEqual([]);
    expect((await getStaff(store, ana)).status).toBe('invited');
    expect((await getStaff(store, bia)).status).toBe('token-only');

    // deployed again: nobody is due (Bia still has no e-mail, and says so)
    const again = await planDeploy(await openTestInfra(fake, config));
    expect(again.steps.find((s) => s.id === 'staff-invitations')).toBeUndefined();
    expect(again.warnings!.join('\n')).not.toContain('Ana Recepção');
  });

  it('a failed e-mail fails the step, naming the account and how to hand a link over', async () => {
    const config = await testConfig();
    await apply(await planDeploy(await openTestInfra(fake, config)));
    const ctx = await openTestInfra(fake, config);
    const store = new Store(ctx.clients.s3, ctx.names.dataBucket);
    const ana = await tokenOnly(store, 'Ana Recepção', 'ana@clinicasorriso.com.br');
    fake.state.identities.set(SENDER, 'Success');
    const plan = await planDeploy(await openTestInfra(fake, config));
    fake.failNext('SendRawEmail', Object.assign(new Error('Email address is not verified.'), { name: 'MessageRejected' }));
    const result = await applyPlan(plan);
    expect(result.failed?.step.id).toBe('staff-invitations');
    expect(String(result.failed?.error)).toContain(`Ana Recepção (${ana}): the e-mail was not sent (`);
    expect(String(result.failed?.error)).toContain(`clinica staff reset ${ana}`);
  });
});

describe('invite-all at deploy: the e-mail through the local SES', () => {
  const stack = useTestStack({ withComponents: false });

  it('sends a working link, invites no one twice, and again once the link expired unused', async () => {
    const store = stack.dataStore;
    const now = new Date('2026-12-07T12:00:00Z');
    const ana = await tokenOnly(store, 'Ana Recepção', 'ana.local@clinicasorriso.com.br');
    await addStaff(store, { name: 'Caio Convidado', role: 'dentist', email: 'caio.local@clinicasorriso.com.br' }, 'test:setup', now);
    const ctx: InvitingContext = { config: { ...stack.config, auth: { ...stack.config.auth, pageUrl: 'https://equipe.clinicasorriso.com.br' } }, target: stack.target, facts: {} };

    const due = await invitationsDue(store, now);
    expect(due).toEqual([{ id: ana, name: 'Ana Recepção', email: 'ana.local@clinicasorriso.com.br', why: 'token-only' }] satisfies DueInvitation[]);
    const outcome = await sendDueInvitations(ctx, store, due, undefined, now);
    expect(outcome.invited).toEqual([{ id: ana, name: 'Ana Recepção', emailed: true }]);

    const mail = (await readOutbox(stack.ses.endpoint)).find((m) => m.destination.to.includes('ana.local@clinicasorriso.com.br'))!;
    const link = /https:\/\/equipe\.clinicasorriso\.com\.br\/#invitation=([\w.-]+)/.exec(mail.body.text ?? '')![1]!;
    expect(await invitationsDue(store, now)).toEqual([]);

    // 73 hours later, unused: due again (Caio's ordinary invitation expired too, but it was never a token account)
    const later = new Date(now.getTime() + (INVITATION_HOURS + 1) * 3_600_000);
    expect(await invitationsDue(store, later)).toEqual([{ id: ana, name: 'Ana Recepção', email: 'ana.local@clinicasorriso.com.br', why: 'expired' }]);

    // used in time instead: the link sets the password, and nobody is due any more
    await acceptInvitation(store, link, PASSWORD, stack.config.clinic.name, now);
    expect((await getStaff(store, ana)).status).toBe('active');
    expect(await invitationsDue(store, later)).toEqual([]);
  });
});

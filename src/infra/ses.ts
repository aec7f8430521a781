/**
 * SES: the reminder sender (mail.sender) must be a verified identity — the address itself, or its domain.
 * Deploy starts the address's verification (AWS e-mails a link to it) when neither is verified or pending.
 * The send quota tells whether the account is still in the SES sandbox (200 e-mails a day, verified
 * recipients only). Destroy keeps the identity: identities are account-wide and may serve other stages.
 */
import { awsCall, type InfraContext } from './context.js';
import { reminderSender, senderAddress } from '../config/mail.js';
import { keepStep, step, type Step } from './plan.js';
import { resource } from './resource.js';

export interface SesState {
  address: string;
  domain: string;
  /** verification status of the address and of its domain (undefined: never asked) */
  addressStatus?: string;
  domainStatus?: string;
  quota?: { max24h: number; maxPerSecond: number; sentLast24h: number };
  /** the endpoint does not answer SES identity calls (emulators) */
  unknown?: boolean;
}

export const isSandbox = (q: SesState['quota']) => q !== undefined && q.max24h <= 200;

export async function readSes(ctx: InfraContext): Promise<SesState> {
  const address = senderAddress(reminderSender(ctx.config));
  const domain = address.split('@')[1] ?? address;
  const { GetIdentityVerificationAttributesCommand, GetSendQuotaCommand } = await import('@aws-sdk/client-ses');
  try {
    return await awsCall(ctx, 'reading the SES identity', async () => {
      const [attrs, quota] = await Promise.all([
        ctx.clients.ses.send(new GetIdentityVerificationAttributesCommand({ Identities: [address, domain] })),
        ctx.clients.ses.send(new GetSendQuotaCommand({})),
      ]);
      const v = attrs.VerificationAttributes ?? {};
      return {
        address,
        domain,
        addressStatus: v[address]?.VerificationStatus,
        domainStatus: v[domain]?.VerificationStatus,
        quota: { max24h: quota.Max24HourSend ?? 0, maxPerSecond: quota.MaxSendRate ?? 0, sentLast24h: quota.SentLast24Hours ?? 0 },
      };
    });
  } catch (err) {
    // SES emulators often leave these calls unanswered; against AWS itself an error is an error
    if (ctx.target.endpoint && (err as { kind?: string }).kind === 'unavailable') {
      ctx.log.warn(`the endpoint ${ctx.target.endpoint} does not answer SES identity calls: SES not checked`);
      return { address, domain, unknown: true };
    }
    throw err;
  }
}

/** The sender's verification, e.g. "lembretes@x verified" or "…: verification pending — open the link …". */
export function sesSummary(s: SesState): string {
  if (s.unknown) return 'not checked (the endpoint does not answer SES identity calls)';
  if (s.domainStatus === 'Success') return `domain ${s.domain} verified`;
  if (s.addressStatus === 'Success') return `${s.address} verified`;
  if (s.addressStatus === 'Pending' || s.domainStatus === 'Pending') return `${s.address}: verification pending — open the link AWS e-mailed to it`;
  return `${s.address} not verified`;
}

/** The account's sending limits: "SES sandbox (verified recipients only): 200/day, 1/s, sent 0 in 24 h". */
export function sesQuota(s: SesState): string {
  const q = s.quota;
  if (!q) return 'unknown';
  return `${isSandbox(q) ? 'SES sandbox (verified recipients only — request production access in the SES console)' : 'production'}: ${q.max24h}/day, ${q.maxPerSecond}/s, sent ${q.sentLast24h} in 24 h`;
}

export const sesVerified = (s: SesState) => s.domainStatus === 'Success' || s.addressStatus === 'Success';

export function planSes(ctx: InfraContext, s: SesState): Step {
  const base = { id: 'ses-identity', component: 'mail' as const, kind: 'SES identity', name: s.address };
  if (s.unknown || sesVerified(s) || s.addressStatus === 'Pending' || s.domainStatus === 'Pending') {
    return step({ ...base, exists: true, changes: [], upToDateWhy: sesSummary(s) });
  }
  const verify = {
    what: `${s.addressStatus ? `verification ${s.addressStatus}` : 'not verified'}: send the verification e-mail to ${s.address}`,
    apply: () =>
      awsCall(ctx, `starting the SES verification of ${s.address}`, async () => {
        const { VerifyEmailIdentityCommand } = await import('@aws-sdk/client-ses');
        await ctx.clients.ses.send(new VerifyEmailIdentityCommand({ EmailAddress: s.address }));
      }),
  };
  return step({ ...base, exists: s.addressStatus !== undefined, changes: [verify], createWhy: `not an SES identity yet: send the verification e-mail to ${s.address}` });
}

export function destroySesStep(s: SesState | undefined): Step | undefined {
  if (!s) return undefined; // no sender in the config: no identity to name
  return keepStep({ id: 'ses-identity', component: 'mail', kind: 'SES identity', name: s.address, why: 'kept: SES identities are account-wide (remove it in the SES console if nothing else uses it)' });
}

// --- the resource shape ---

/** Read only with a sender in the config: destroy needs none, and deploy has checked there is one. */
export const sesIdentity = resource<SesState | undefined>({
  id: 'ses-identity',
  read: (ctx) => (ctx.config.mail.sender ? readSes(ctx) : Promise.resolve(undefined)),
  plan: (ctx, state) => planSes(ctx, state!),
  destroy: (_ctx, state) => destroySesStep(state),
});

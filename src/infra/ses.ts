/**
 * SES: the reminder sender (mail.sender) must be a verified identity — the address itself, or its domain.
 * Deploy sets up the sender's domain with Easy DKIM (VerifyDomainDkim): SES then signs the reminders with the
 * clinic's own domain, which DMARC needs to align (an address identity alone is signed as amazonses.com). The
 * three DKIM CNAME records are printed (and kept in the outputs) for the clinic's DNS; once they resolve, the
 * domain is verified. Until then — and for a sender at a public mailbox provider (gmail.com, …), whose DNS is
 * not the clinic's — the address's own verification (AWS e-mails a link to it) lets reminders go out.
 * The send quota tells whether the account is still in the SES sandbox (200 e-mails a day, verified
 * recipients only). Destroy keeps the identities: they are account-wide and may serve other stages.
 */
import { awsCall, type InfraContext } from './context.js';
import { reminderSender, senderAddress } from '../config/mail.js';
import { keepStep, step, type Change, type Step } from './plan.js';
import { resource } from './resource.js';

export interface SesState {
  address: string;
  domain: string;
  /** verification status of the address and of its domain (undefined: never asked) */
  addressStatus?: string;
  domainStatus?: string;
  /** the domain's Easy DKIM: undefined when never set up (or not asked: a public mailbox domain) */
  dkim?: { enabled: boolean; status?: string; tokens: string[] };
  quota?: { max24h: number; maxPerSecond: number; sentLast24h: number };
  /** the endpoint does not answer SES identity calls (emulators) */
  unknown?: boolean;
}

/** A DNS record the clinic (or, later, clinica's Route 53 zone) must publish for the sender's domain. */
export interface DnsRecord {
  name: string;
  type: 'CNAME';
  value: string;
}

/** Mailbox providers whose domain is not the clinic's: no DKIM of theirs to set up, the address is verified alone. */
const PUBLIC_MAILBOX_DOMAINS = new Set([
  'gmail.com', 'googlemail.com', 'hotmail.com', 'hotmail.com.br', 'outlook.com', 'outlook.com.br', 'live.com', 'msn.com',
  'yahoo.com', 'yahoo.com.br', 'icloud.com', 'me.com', 'aol.com', 'bol.com.br', 'uol.com.br', 'terra.com.br', 'ig.com.br',
]);

export const clinicDomain = (domain: string) => !PUBLIC_MAILBOX_DOMAINS.has(domain.toLowerCase());

/** Easy DKIM's three CNAME records: <token>._domainkey.<domain> → <token>.dkim.amazonses.com. */
export function dkimRecords(domain: string, tokens: string[]): DnsRecord[] {
  return tokens.map((token) => ({ name: `${token}._domainkey.${domain}`, type: 'CNAME', value: `${token}.dkim.amazonses.com` }));
}

export const isSandbox = (q: SesState['quota']) => q !== undefined && q.max24h <= 200;

export async function readSes(ctx: InfraContext): Promise<SesState> {
  const address = senderAddress(reminderSender(ctx.config));
  const domain = address.split('@')[1] ?? address;
  const { GetIdentityDkimAttributesCommand, GetIdentityVerificationAttributesCommand, GetSendQuotaCommand } = await import('@aws-sdk/client-ses');
  try {
    return await awsCall(ctx, 'reading the SES identity', async () => {
      const [attrs, dkimAttrs, quota] = await Promise.all([
        ctx.clients.ses.send(new GetIdentityVerificationAttributesCommand({ Identities: [address, domain] })),
        clinicDomain(domain) ? ctx.clients.ses.send(new GetIdentityDkimAttributesCommand({ Identities: [domain] })) : undefined,
        ctx.clients.ses.send(new GetSendQuotaCommand({})),
      ]);
      const v = attrs.VerificationAttributes ?? {};
      const d = dkimAttrs?.DkimAttributes?.[domain];
      return {
        address,
        domain,
        addressStatus: v[address]?.VerificationStatus,
        domainStatus: v[domain]?.VerificationStatus,
        ...(d?.DkimTokens?.length ? { dkim: { enabled: Boolean(d.DkimEnabled), status: d.DkimVerificationStatus, tokens: d.DkimTokens } } : {}),
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
  if (domainVerified(s)) return `domain ${s.domain} verified${s.dkim?.status === 'Success' ? ' (Easy DKIM)' : ''}`;
  const dkim = s.dkim ? `; domain ${s.domain}: DKIM ${s.dkim.status === 'Pending' ? 'pending — publish its 3 CNAME records' : (s.dkim.status ?? 'not started').toLowerCase()}` : '';
  if (s.addressStatus === 'Success') return `${s.address} verified${dkim}`;
  if (s.addressStatus === 'Pending' || s.domainStatus === 'Pending') return `${s.address}: verification pending — open the link AWS e-mailed to it${dkim}`;
  return `${s.address} not verified${dkim}`;
}

const domainVerified = (s: SesState) => s.domainStatus === 'Success' || s.dkim?.status === 'Success';

/** The account's sending limits: "SES sandbox (verified recipients only): 200/day, 1/s, sent 0 in 24 h". */
export function sesQuota(s: SesState): string {
  const q = s.quota;
  if (!q) return 'unknown';
  return `${isSandbox(q) ? 'SES sandbox (verified recipients only — request production access in the SES console)' : 'production'}: ${q.max24h}/day, ${q.maxPerSecond}/s, sent ${q.sentLast24h} in 24 h`;
}

export const sesVerified = (s: SesState) => domainVerified(s) || s.addressStatus === 'Success';

export function planSes(ctx: InfraContext, s: SesState): Step {
  const base = { id: 'ses-identity', component: 'mail' as const, kind: 'SES identity', name: s.address };
  const changes: Change[] = [];
  if (!s.unknown && clinicDomain(s.domain) && !s.dkim?.tokens.length) {
    changes.push({
      what: `set up Easy DKIM for ${s.domain} (its 3 CNAME records are printed after deploy)`,
      apply: () =>
        awsCall(ctx, `setting up Easy DKIM for ${s.domain}`, async () => {
          const { VerifyDomainDkimCommand } = await import('@aws-sdk/client-ses');
          await ctx.clients.ses.send(new VerifyDomainDkimCommand({ Domain: s.domain }));
        }),
    });
  }
  // the address's own verification gets the reminders going before the domain's DNS records are in place
  if (!s.unknown && !sesVerified(s) && s.addressStatus !== 'Pending' && s.domainStatus !== 'Pending') {
    changes.push({
      what: `${s.addressStatus ? `verification ${s.addressStatus}` : 'not verified'}: send the verification e-mail to ${s.address}`,
      apply: () =>
        awsCall(ctx, `starting the SES verification of ${s.address}`, async () => {
          const { VerifyEmailIdentityCommand } = await import('@aws-sdk/client-ses');
          await ctx.clients.ses.send(new VerifyEmailIdentityCommand({ EmailAddress: s.address }));
        }),
    });
  }
  if (!changes.length) return step({ ...base, exists: true, changes: [], upToDateWhy: sesSummary(s) });
  return step({
    ...base,
    exists: s.addressStatus !== undefined || s.dkim !== undefined,
    changes,
    createWhy: `not an SES identity yet: ${changes.map((c) => c.what.replace(/^not verified: /, '')).join('; ')}`,
  });
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

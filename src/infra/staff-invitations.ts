/**
 * invite-all at deploy: the staff accounts from before e-mail sign-in (token-only) get their invitation e-mailed
 * through SES, so nobody has to run `clinica staff invite-all` by hand after the upgrade. The plan lists the
 * accounts; apply invites them and sends each link to the person's own address (the link is the secret: it is
 * never printed or logged here). Re-running invites no one twice: an account invited and not expired is not due.
 *
 * Only when the reminders' sender can send (SES identity verified) — an invitation that could not be delivered
 * would end the person's token and leave them without a way in; otherwise the plan warns and names the command.
 */
import { invitationsDue, invitationUrl, inviteAll, type DueInvitation, type InviteAllItem } from '../clinic/staff.js';
import { oneLine } from '../errors.js';
import { Store } from '../store/store.js';
import type { InfraContext } from './context.js';
import { dataBucket } from './data-bucket.js';
import type { Step } from './plan.js';
import { resource } from './resource.js';
import type { BucketRead } from './s3-bucket.js';
import { staffUrl } from './serving.js';
import { sesIdentity, type SesState } from './ses.js';

/** Sends one invitation e-mail (the mail module's SES sender; a test may hand in another). */
export type SendInvitation = (ctx: InvitingContext, input: { to: string; name: string; url: string; expiresAt: string }) => Promise<unknown>;

const sendThroughSes: SendInvitation = async (ctx, input) => {
  const { sendInvitationEmail } = await import('../mail/invitation.js');
  return sendInvitationEmail(ctx.target, ctx.config, input);
};

/** What inviting needs of the stage: the config (page address, sender), where SES is, the instance's address. */
export type InvitingContext = Pick<InfraContext, 'config' | 'target' | 'facts'>;

export interface InvitationsState {
  due: DueInvitation[];
  store?: Store;
}

/** Whether SES will send from the reminders' sender now. */
export const sesCanSend = (s: SesState | undefined): boolean =>
  Boolean(s && !s.unknown && (s.addressStatus === 'Success' || s.domainStatus === 'Success' || s.dkim?.status === 'Success'));

/** The staff page's address for the links: auth.pageUrl, the HTTPS domain, else the instance's private address. */
export function invitationPageUrl(ctx: InvitingContext): string | undefined {
  return ctx.config.auth.pageUrl ?? staffUrl(ctx.config, ctx.facts.instance?.privateIp);
}

export interface InvitationOutcome {
  invited: { id: string; name: string; emailed: boolean; error?: string }[];
}

/** Invites the accounts the plan listed and e-mails each link; per-account failures are reported, the rest go on. */
export async function sendDueInvitations(ctx: InvitingContext, store: Store, due: DueInvitation[], send: SendInvitation = sendThroughSes, now = new Date()): Promise<InvitationOutcome> {
  const page = invitationPageUrl(ctx);
  if (!page) throw new Error('the staff page has no address yet (no instance, no network.domain, no auth.pageUrl): run `clinica staff invite-all` once it has one');
  const items: InviteAllItem[] = await inviteAll(store, `deploy:${ctx.config.stage}`, now, due);
  const invited: InvitationOutcome['invited'] = [];
  for (const item of items) {
    if (!item.ok || !item.staff?.email || !item.invitation) {
      invited.push({ id: item.id, name: item.name, emailed: false, error: item.error ?? 'no e-mail' });
      continue;
    }
    try {
      await send(ctx, { to: item.staff.email, name: item.staff.name, url: invitationUrl(page, item.invitation.token), expiresAt: item.invitation.expiresAt });
      invited.push({ id: item.id, name: item.name, emailed: true });
    } catch (err) {
      invited.push({ id: item.id, name: item.name, emailed: false, error: `the e-mail was not sent (${oneLine(err)}): run \`clinica staff reset ${item.id}\` to hand a new link over yourself` });
    }
  }
  const failed = invited.filter((i) => !i.emailed);
  if (failed.length) throw new Error(`${failed.length} of ${invited.length} invitations not sent: ${failed.map((f) => `${f.name} (${f.id}): ${f.error}`).join('; ')}`);
  return { invited };
}

const listNames = (due: DueInvitation[]) => due.map((d) => `${d.name} (${d.id}${d.why === 'expired' ? ', link expired' : ''})`).join(', ');

/** The step of the stack: after the instance and the SES identity, whose states it needs. */
export function staffInvitations(send: SendInvitation = sendThroughSes) {
  return resource<InvitationsState>({
    id: 'staff-invitations',
    async read(ctx, stage) {
      if (stage.mode === 'destroy') return { due: [] };
      const data = await stage.state<BucketRead>(dataBucket.id);
      if (!data.state.exists) return { due: [] };
      const store = new Store(ctx.clients.s3, ctx.names.dataBucket);
      return { due: await invitationsDue(store), store };
    },
    plan(ctx, state, stage): Step | undefined {
      const { due, store } = state;
      if (!due.length || !store) return undefined;
      const noEmail = due.filter((d) => !d.email);
      if (noEmail.length) stage.warn(`staff without an e-mail cannot be invited: ${listNames(noEmail)} — set one with \`clinica staff edit ID --email …\``);
      const mailable = due.filter((d) => d.email);
      if (!mailable.length) return undefined;
      if (!sesCanSend(stage.state<SesState>(sesIdentity.id))) {
        stage.warn(`${mailable.length} staff account${mailable.length > 1 ? 's' : ''} from before e-mail sign-in need an invitation (${listNames(mailable)}): SES cannot send from ${ctx.config.mail.sender} yet — once it is verified, deploy again or run \`clinica staff invite-all\``);
        return undefined;
      }
      return {
        id: 'staff-invitations',
        component: 'mail',
        kind: 'staff invitations',
        name: `${mailable.length} account${mailable.length > 1 ? 's' : ''}`,
        action: 'create',
        why: `token-only accounts to invite by e-mail: ${listNames(mailable)}`,
        drift: false,
        run: async () => {
          await sendDueInvitations(ctx, store, mailable, send);
        },
      };
    },
    destroy: () => undefined,
  });
}

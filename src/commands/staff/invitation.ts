/**
 * Handing an invitation to a person: its link (the staff page's address: auth.pageUrl, the running
 * `clinica dev` server, or the deployed backend's address from the last deploy) and, on target aws with
 * mail.sender set, an e-mail through SES.
 */
import { readFile } from 'node:fs/promises';
import { invitationUrl, type Invitation, type StaffMember } from '../../clinic/staff.js';
import type { Context } from '../../context.js';
import { oneLine } from '../../errors.js';
import type { Ui } from '../../ui/output.js';

export interface InvitationOut {
  id: string;
  invitationUrl: string;
  expiresAt: string;
  emailed: boolean;
}

async function pageUrl(ctx: Context): Promise<string> {
  if (ctx.config.auth.pageUrl) return ctx.config.auth.pageUrl;
  if (ctx.local?.server) return ctx.local.server;
  try {
    const { outputsFile } = await import('../../infra/outputs.js');
    const outputs = JSON.parse(await readFile(outputsFile(ctx.config.stateDir, ctx.config.stage), 'utf8')) as { backend?: { privateUrl?: string } };
    if (outputs.backend?.privateUrl) return outputs.backend.privateUrl;
  } catch {
    /* not deployed from here */
  }
  return `http://localhost:${ctx.config.network.serverPort}`;
}

export async function deliverInvitation(ctx: Context, ui: Ui, staff: StaffMember, invitation: Invitation): Promise<InvitationOut> {
  const url = invitationUrl(await pageUrl(ctx), invitation.token);
  let emailed = false;
  if (ctx.config.target === 'aws' && ctx.config.mail.sender && staff.email) {
    try {
      const { sendInvitationEmail } = await import('../../mail/invitation.js');
      await sendInvitationEmail(ctx.target, ctx.config, { to: staff.email, name: staff.name, url, expiresAt: invitation.expiresAt });
      emailed = true;
    } catch (err) {
      ui.warn(`the invitation e-mail to ${staff.email} was not sent (${oneLine(err)}): hand the link over yourself`);
    }
  }
  return { id: invitation.id, invitationUrl: url, expiresAt: invitation.expiresAt, emailed };
}

/** The human lines about an invitation. */
export function printInvitation(ui: Ui, staff: StaffMember, out: InvitationOut): void {
  ui.print(`invitation link (single use, until ${out.expiresAt.slice(0, 16).replace('T', ' ')} UTC):`);
  ui.print(`  ${ui.bold(out.invitationUrl)}`);
  ui.info(out.emailed ? `also e-mailed to ${staff.email}` : `hand it to ${staff.name} privately: whoever opens it first sets the password`);
}

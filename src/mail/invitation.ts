/**
 * The invitation e-mail of a new (or reset) staff account, in the clinic's language, sent through SES from
 * mail.sender. The link is the whole secret: it goes to the person's own address only, and is never logged.
 */
import { sesClient, type AwsTarget } from '../aws/clients.js';
import type { ResolvedConfig } from '../config/load.js';
import { buildRawEmail } from './mime.js';
import { SesSender } from './ses.js';
import { loadTemplate, renderHtmlEmail, renderTemplate } from './templates.js';

export async function sendInvitationEmail(
  target: AwsTarget,
  config: Pick<ResolvedConfig, 'clinic' | 'mail'>,
  input: { to: string; name: string; url: string; expiresAt: string },
): Promise<string> {
  const locale = config.clinic.locale;
  const expiresAt = new Intl.DateTimeFormat(locale, { dateStyle: 'long', timeStyle: 'short', timeZone: config.clinic.timeZone }).format(new Date(input.expiresAt));
  const values = { name: input.name, clinicName: config.clinic.name, url: input.url, expiresAt };
  const render = (file: string) => renderTemplate(loadTemplate(locale, file), values, { html: false, name: `${locale}/${file}` }).trim();
  const subject = render('invitation.subject.txt');
  const raw = await buildRawEmail({
    from: config.mail.sender!,
    to: input.to,
    replyTo: config.mail.replyTo,
    subject,
    text: render('invitation.txt'),
    html: renderHtmlEmail(locale, 'invitation', { ...values, subject }),
  });
  // one message: no send-rate lookup (GetSendQuota), which the server's role need not be allowed
  const client = await sesClient({ ...target, maxAttempts: 1 });
  const sender = new SesSender({ client, ratePerSecond: 1, sender: config.mail.sender });
  return (await sender.send(raw, input.to)).messageId;
}

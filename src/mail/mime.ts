/**
 * Raw MIME messages for SES SendRawEmail, built by nodemailer's MailComposer (no transport: clinica hands the
 * bytes to SES itself, so the rate limiter and retry policy in ses.ts stay in charge).
 */
import MailComposer from 'nodemailer/lib/mail-composer';

export interface Attachment {
  filename: string;
  content: string | Buffer;
  contentType: string;
}

export interface RawEmail {
  from: string;
  to: string;
  replyTo?: string;
  subject: string;
  text: string;
  html: string;
  attachments?: Attachment[];
}

export async function buildRawEmail(message: RawEmail): Promise<Buffer> {
  const composer = new MailComposer({
    from: message.from,
    to: message.to,
    replyTo: message.replyTo,
    subject: message.subject,
    text: message.text,
    html: message.html,
    attachments: message.attachments?.map((a) => ({ filename: a.filename, content: a.content, contentType: a.contentType })),
    // an automatic message: out-of-office robots should not answer it (RFC 3834)
    headers: { 'Auto-Submitted': 'auto-generated' },
    textEncoding: 'quoted-printable',
  });
  return composer.compile().build();
}

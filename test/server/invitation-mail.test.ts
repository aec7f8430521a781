/**
 * The invitation e-mail, sent through the local SES (the same SES code path as on AWS): in the clinic's
 * language, from mail.sender, to the person, with the link in text and HTML.
 */
import { describe, expect, it } from 'vitest';
import { readOutbox } from '../../src/local/ses-server.js';
import { sendInvitationEmail } from '../../src/mail/invitation.js';
import { useTestStack } from '../helpers/stack.js';

const stack = useTestStack({ withComponents: false });

describe('invitation e-mail', () => {
  it('goes to the person from the clinic sender, in pt-BR or English, with the link', async () => {
    const url = 'http://10.0.0.5:8080/#invitation=ana-souza-k3f9.' + 'x'.repeat(43);
    const expiresAt = '2026-12-10T15:00:00.000Z';
    await sendInvitationEmail(stack.target, stack.config, { to: 'ana@clinica.com.br', name: 'Dra. Ana <Souza>', url, expiresAt });
    await sendInvitationEmail(stack.target, { ...stack.config, clinic: { ...stack.config.clinic, locale: 'en' } }, { to: 'bob@clinica.com.br', name: 'Bob', url, expiresAt });
    const outbox = await readOutbox(stack.ses.endpoint);
    const pt = outbox.find((m) => m.destination.to.includes('ana@clinica.com.br'))!;
    expect(pt.from).toContain(stack.config.mail.sender);
    expect(pt.subject).toBe(`Convite para a equipe — ${stack.config.clinic.name}`);
    expect(pt.body.text).toContain(url);
    expect(pt.body.text).toContain('Dra. Ana <Souza>');
    expect(pt.body.html).toContain('Dra. Ana &lt;Souza&gt;');
    expect(pt.body.html).toContain(`href="${url}"`);
    expect(pt.body.text).toMatch(/até 10 de dezembro de 2026/);
    const en = outbox.find((m) => m.destination.to.includes('bob@clinica.com.br'))!;
    expect(en.subject).toBe(`You are invited to the team — ${stack.config.clinic.name}`);
    expect(en.body.text).toContain('The link works once');
  });
});

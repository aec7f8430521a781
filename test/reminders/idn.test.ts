/** E-mail addresses SES can deliver to (issue 13, item 4): an internationalised domain goes out in punycode. */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getPatient } from '../../src/clinic/patients.js';
import { runReminders } from '../../src/clinic/reminders.js';
import { readOutbox } from '../../src/local/ses-server.js';
import { openSesSender } from '../../src/mail/ses.js';
import { startTestStack, type TestStack } from '../helpers/stack.js';
import { addPatient, book, sp } from './seed.js';

let stack: TestStack;
beforeAll(async () => {
  stack = await startTestStack({ config: { reminders: { rules: [{ name: 'day-before', dayBeforeAt: '09:00' }], quietHours: { start: '21:00', end: '08:00' }, claimTimeoutMinutes: 15, maxSendRate: 200 } } });
});
afterAll(async () => {
  await stack?.close();
});

describe('reminders to an internationalised domain', () => {
  it('keep the address as typed in the record and send it to SES in punycode', async () => {
    const store = stack.dataStore;
    const p = await addPatient(store, { fullName: 'Íris Domínio', email: 'iris@clínica-exemplo.com.br' });
    expect((await getPatient(store, p.id)).patient.email).toBe('iris@clínica-exemplo.com.br');
    await book(store, p.id, '2030-04-02 10:00');
    // what goes to SES, as it goes (the local SES's outbox shows addresses decoded back to Unicode)
    const bodies: string[] = [];
    const upstream = new URL(stack.ses.endpoint);
    const spy = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const body = Buffer.concat(chunks);
        bodies.push(body.toString('utf8'));
        const out = http.request({ host: upstream.hostname, port: upstream.port, path: req.url, method: req.method, headers: req.headers }, (r) => {
          res.writeHead(r.statusCode ?? 502, r.headers);
          r.pipe(res);
        });
        out.end(body);
      });
    });
    await new Promise<void>((r) => spy.listen(0, '127.0.0.1', r));
    try {
      const endpoint = `http://127.0.0.1:${(spy.address() as AddressInfo).port}`;
      const sender = () => openSesSender({ ...stack.target, endpoints: { ...stack.target.endpoints, ses: endpoint } }, { configured: 200, sender: stack.config.mail.sender, retry: { baseDelayMs: 20, maxDelayMs: 100 } });
      const summary = await runReminders({ store, config: stack.config, now: sp('2030-04-01 09:00'), openSender: sender, actor: 'test' });
      expect(summary.sent).toBe(1);
    } finally {
      await new Promise((r) => spy.close(r));
    }
    const send = new URLSearchParams(bodies.find((b) => b.includes('SendRawEmail'))!);
    expect(send.get('Destinations.member.1')).toBe('iris@xn--clnica-exemplo-1lb.com.br');
    const mime = Buffer.from(send.get('RawMessage.Data')!, 'base64').toString('utf8');
    expect(mime).toMatch(/^To: iris@xn--clnica-exemplo-1lb\.com\.br\r?$/m);
    expect((await readOutbox(stack.ses.endpoint)).length).toBe(1);
  });
});

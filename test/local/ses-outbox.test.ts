/**
 * The local e-mail outbox of `clinica dev` is kept in its data folder: what was sent before a restart is still
 * on the outbox page after it, and the page's "clear" empties the kept copy too. The local SES's store lives
 * in its module (one per process), so a restart is imitated by stopping the server and emptying that store.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sesClient } from '../../src/aws/clients.js';
import { localTarget } from '../../src/local/endpoints.js';
import { readOutbox, startLocalSes, type LocalSes } from '../../src/local/ses-server.js';

let dir: string;
let ses: LocalSes | undefined;
const forgetEverything = () => (createRequire(import.meta.url)('aws-ses-v2-local/dist/store.js') as { clearStore(): void }).clearStore();

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'clinica-ses-'));
  forgetEverything();
});
afterAll(async () => {
  await ses?.stop();
  forgetEverything();
  await rm(dir, { recursive: true, force: true });
});

async function send(endpoint: string, subject: string) {
  const { SendEmailCommand } = await import('@aws-sdk/client-ses');
  const client = await sesClient(localTarget({ s3: 'http://127.0.0.1:9', ses: endpoint, region: 'us-east-1' }));
  await client.send(new SendEmailCommand({
    Source: 'lembretes@clinica.example',
    Destination: { ToAddresses: ['maria.exemplo@example.com'] },
    Message: { Subject: { Data: subject }, Body: { Text: { Data: 'Olá, Maria!' } } },
  }));
}

describe('the local e-mail outbox', () => {
  it('survives a restart of the local SES (kept in the data folder)', async () => {
    ses = await startLocalSes({ port: 0, directory: dir });
    await send(ses.endpoint, 'Lembrete: sua consulta amanhã');
    await ses.stop();
    forgetEverything(); // a new clinica dev process starts with an empty store

    ses = await startLocalSes({ port: 0, directory: dir });
    const outbox = await readOutbox(ses.endpoint);
    expect(outbox.map((m) => [m.subject, m.destination.to])).toEqual([['Lembrete: sua consulta amanhã', ['maria.exemplo@example.com']]]);
    await send(ses.endpoint, 'Lembrete: sua consulta em 2 horas');
    expect((await readOutbox(ses.endpoint)).map((m) => m.subject)).toEqual(['Lembrete: sua consulta amanhã', 'Lembrete: sua consulta em 2 horas']);
  });

  it("the outbox page's clear empties the kept copy too", async () => {
    await fetch(`${ses!.endpoint}/clear-store`, { method: 'POST' });
    await ses!.stop();
    expect(JSON.parse(await readFile(join(dir, 'outbox.json'), 'utf8'))).toEqual({ emails: [] });
    ses = undefined;
  });
});

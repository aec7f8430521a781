/**
 * `clinica dev` puts the patients' answer page on a fixed port beside the backend's (--port + 2, or
 * --answers-port), shown in the URL table: the links in e-mails already in the outbox keep working after a
 * restart. A port in use is one clear line naming the flag. The WhatsApp outbox page follows too (--port + 3,
 * or --whatsapp-port); its default port, when taken, gives way to a free one, said in a warning.
 */
import { mkdtemp, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import dev from '../../src/commands/dev/run.js';
import { defaultConfigInput } from '../../src/config/load.js';
import { ClinicaError } from '../../src/errors.js';
import { testUi } from '../infra/helpers.js';
import { freePort } from '../helpers/ports.js';

const held: Server[] = [];
afterEach(async () => {
  await Promise.all(held.splice(0).map((s) => new Promise((r) => s.close(r))));
});

const listen = (port: number) =>
  new Promise<Server>((resolve, reject) => {
    const s = createServer();
    s.once('error', reject).listen(port, '127.0.0.1', () => resolve(s));
  });

/** A port P with P + 2 and P + 3 free too, outside the range other tests' `listen(0)` draws from. */
const freePair = () => freePort([2, 3]);

async function project(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'clinica-dev-ports-'));
  const config = join(dir, 'clinica.config.json');
  await writeFile(config, JSON.stringify(defaultConfigInput));
  return config;
}

const run = async (config: string, flags: Record<string, unknown>) => {
  const t = testUi();
  const code = await dev({ opts: { config, host: '127.0.0.1', s3Port: 0, sesPort: 0, exit: true, ...flags }, ui: t.ui } as never);
  return { code, out: t.out(), err: t.err() };
};

describe('clinica dev: the answer page port', () => {
  it('is the backend port + 2 by default, in the URL table', async () => {
    const port = await freePair();
    const { code, out } = await run(await project(), { port });
    expect(code).toBe(0);
    expect(out).toMatch(new RegExp(`Patient answer page\\s*\\|\\s*http://127\\.0\\.0\\.1:${port + 2}/`));
    expect(out).toMatch(new RegExp(`http://127\\.0\\.0\\.1:${port}/`));
  });

  it('--answers-port chooses it; a port in use is one clear error naming the flag', async () => {
    const port = await freePair();
    const busy = await freePort();
    held.push(await listen(busy));
    const config = await project();
    const err = await run(config, { port, answersPort: busy }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ClinicaError);
    expect((err as ClinicaError).message).toBe(`the answer page cannot listen on 127.0.0.1:${busy}: EADDRINUSE`);
    expect((err as ClinicaError).hint).toContain('--answers-port');
    // with that port freed, it is served there (and nothing of the failed start is left behind)
    await new Promise((r) => held.pop()!.close(r));
    const { out } = await run(config, { port, answersPort: busy });
    expect(out).toMatch(new RegExp(`Patient answer page\\s*\\|\\s*http://127\\.0\\.0\\.1:${busy}/`));
  });
});

describe('clinica dev: the WhatsApp outbox port', () => {
  it('is the backend port + 3 by default, in the URL table; --whatsapp-port chooses it', async () => {
    const port = await freePair();
    const config = await project();
    const first = await run(config, { port });
    expect(first.code).toBe(0);
    expect(first.out).toMatch(new RegExp(`WhatsApp outbox\\s*\\|\\s*http://127\\.0\\.0\\.1:${port + 3}/`));
    const chosen = await freePair();
    const { out } = await run(config, { port, whatsappPort: chosen });
    expect(out).toMatch(new RegExp(`WhatsApp outbox\\s*\\|\\s*http://127\\.0\\.0\\.1:${chosen}/`));
  });

  it('a default port in use gives way to a free one (said); one asked for is an error naming the flag', async () => {
    const port = await freePair();
    held.push(await listen(port + 3));
    const config = await project();
    const { code, out, err } = await run(config, { port });
    expect(code).toBe(0);
    const shown = new RegExp(`WhatsApp outbox\\s*\\|\\s*http://127\\.0\\.0\\.1:(\\d+)/`).exec(out);
    expect(shown).not.toBeNull();
    expect(Number(shown![1])).not.toBe(port + 3);
    expect(err).toContain(`the WhatsApp outbox's port ${port + 3} is in use: it listens on another (--whatsapp-port chooses one)`);
    const refused = await run(config, { port, whatsappPort: port + 3 }).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(ClinicaError);
    expect((refused as ClinicaError).message).toBe(`the WhatsApp outbox cannot listen on 127.0.0.1:${port + 3}: EADDRINUSE`);
    expect((refused as ClinicaError).hint).toContain('--whatsapp-port');
  });
});

/**
 * `clinica dev` puts the patients' answer page on a fixed port beside the backend's (--port + 2, or
 * --answers-port), shown in the URL table: the links in e-mails already in the outbox keep working after a
 * restart. A port in use is one clear line naming the flag.
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

const held: Server[] = [];
afterEach(async () => {
  await Promise.all(held.splice(0).map((s) => new Promise((r) => s.close(r))));
});

const listen = (port: number) =>
  new Promise<Server>((resolve, reject) => {
    const s = createServer();
    s.once('error', reject).listen(port, '127.0.0.1', () => resolve(s));
  });

/** A port P with P + 2 free too (asked of the system, then released). */
async function freePair(): Promise<number> {
  for (;;) {
    const a = await listen(0);
    const port = (a.address() as { port: number }).port;
    const b = port + 2 <= 65535 ? await listen(port + 2).catch(() => undefined) : undefined;
    await new Promise((r) => a.close(r));
    if (b) {
      await new Promise((r) => b.close(r));
      return port;
    }
  }
}

async function project(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'clinica-dev-ports-'));
  const config = join(dir, 'clinica.config.json');
  await writeFile(config, JSON.stringify(defaultConfigInput));
  return config;
}

const run = async (config: string, flags: Record<string, unknown>) => {
  const t = testUi();
  const code = await dev({ opts: { config, host: '127.0.0.1', s3Port: 0, sesPort: 0, exit: true, ...flags }, ui: t.ui } as never);
  return { code, out: t.out() };
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
    const taken = await listen(0);
    held.push(taken);
    const busy = (taken.address() as { port: number }).port;
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

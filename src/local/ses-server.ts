/**
 * The local SES (npm aws-ses-v2-local), in this process. Its `GET /` is a live outbox page, `GET /store` the
 * messages as JSON, `POST /clear-store` empties it. Its store is global to the module: one per process.
 * Given a directory, the outbox is kept there (outbox.json, rewritten after each request that changed it) and
 * read back at start, so the e-mails seen before a `clinica dev` restart are still there after it.
 */
import { readFile, rename, writeFile, mkdir } from 'node:fs/promises';
import type { Server } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { ClinicaError } from '../errors.js';

export interface LocalSes {
  endpoint: string;
  outbox: string;
  port: number;
  stop(): Promise<void>;
}

export async function startLocalSes(options: { host?: string; port?: number; directory?: string } = {}): Promise<LocalSes> {
  const host = options.host ?? '127.0.0.1';
  type Start = (c: { host: string; port: number }) => Promise<Server>;
  // CommonJS with __esModule: Node's ESM import gives the exports object as `default`; bundlers unwrap it
  const mod = (await import('aws-ses-v2-local')) as unknown as { default: Start | { default: Start } };
  const start = typeof mod.default === 'function' ? mod.default : mod.default.default;
  const port = options.port ?? 0;
  let server: Server;
  try {
    server = await start({ host, port });
    // aws-ses-v2-local (on Express 5) resolves with its server even when listen failed, after the 'error' event
    // has gone by: listen once more, racing 'listening' against 'error', to learn why (or to succeed if the
    // port has just been freed)
    if (!server.listening) await listen(server, port, host);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new ClinicaError('unavailable', `cannot listen on ${host}:${port} for the local SES (${code ?? (err as Error).message})`, {
      hint: code === 'EADDRINUSE' ? 'another program uses that port: stop it or pick another (--ses-port)' : undefined,
      cause: err,
    });
  }
  const kept = options.directory ? await keepOutbox(server, options.directory) : undefined;
  const bound = (server.address() as AddressInfo).port;
  const endpoint = `http://${host}:${bound}`;
  return {
    endpoint,
    outbox: `${endpoint}/`,
    port: bound,
    async stop() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await kept?.flush();
    },
  };
}

interface SesStore {
  emails: OutboxMessage[];
}

/** The module's own store, as its server reads and writes it (the same CommonJS instance). */
function sesStore(): SesStore {
  const mod = createRequire(import.meta.url)('aws-ses-v2-local/dist/store.js') as { getStoreReadonly(): SesStore };
  return mod.getStoreReadonly();
}

/**
 * Loads `directory`/outbox.json into the store, then rewrites it (temp file + rename) after every request that
 * changed the outbox: a send, or the page's "clear". Writes run one after another; `flush` waits for the last.
 */
async function keepOutbox(server: Server, directory: string): Promise<{ flush(): Promise<void> }> {
  await mkdir(directory, { recursive: true });
  const file = join(directory, 'outbox.json');
  const store = sesStore();
  try {
    const saved = JSON.parse(await readFile(file, 'utf8')) as { emails?: OutboxMessage[] };
    const known = new Set(store.emails.map((e) => e.messageId));
    store.emails.push(...(saved.emails ?? []).filter((e) => !known.has(e.messageId)));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') {
      throw new ClinicaError('unavailable', `cannot read the local e-mail outbox ${file}: ${(err as Error).message}`, {
        hint: 'move the file away (the outbox then starts empty) and start clinica dev again',
      });
    }
  }
  let written = JSON.stringify({ emails: store.emails });
  let writing = Promise.resolve();
  const save = () => {
    writing = writing.then(async () => {
      const text = JSON.stringify({ emails: sesStore().emails });
      if (text === written) return;
      await writeFile(`${file}.tmp`, text);
      await rename(`${file}.tmp`, file);
      written = text;
    }).catch(() => {}); // a full disk loses the copy, not the outbox in memory
  };
  server.on('request', (req, res) => {
    if (req.method === 'POST') res.on('finish', save);
  });
  return { flush: () => writing };
}

function listen(server: Server, port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
}

/** A message as the local SES stores it (GET /store). */
export interface OutboxMessage {
  messageId: string;
  from: string;
  replyTo: string[];
  destination: { to: string[]; cc: string[]; bcc: string[] };
  subject: string;
  body: { text?: string; html?: string };
  attachments: { content: string; contentType: string; filename?: string; size: number }[];
  at: number;
}

export async function readOutbox(sesEndpoint: string): Promise<OutboxMessage[]> {
  const res = await fetch(`${sesEndpoint}/store`);
  if (!res.ok) throw new ClinicaError('unavailable', `the local SES outbox answered ${res.status}`);
  return ((await res.json()) as { emails: OutboxMessage[] }).emails;
}

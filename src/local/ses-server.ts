/**
 * The local SES (npm aws-ses-v2-local), in this process. Its `GET /` is a live outbox page, `GET /store` the
 * messages as JSON, `POST /clear-store` empties it. Its store is global to the module: one per process.
 */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ClinicaError } from '../errors.js';

export interface LocalSes {
  endpoint: string;
  outbox: string;
  port: number;
  stop(): Promise<void>;
}

export async function startLocalSes(options: { host?: string; port?: number } = {}): Promise<LocalSes> {
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
  const bound = (server.address() as AddressInfo).port;
  const endpoint = `http://${host}:${bound}`;
  return {
    endpoint,
    outbox: `${endpoint}/`,
    port: bound,
    async stop() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
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

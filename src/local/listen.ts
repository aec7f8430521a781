import type { Server } from 'node:http';
import { ClinicaError } from '../errors.js';
import type { Log } from '../log.js';

/** Where a component of the local stack listens. */
export interface ComponentPort {
  /** what listens, for messages ("answer page") */
  what: string;
  /** 0 = any free port */
  port: number;
  /** the option that chooses it, named when the port is taken */
  flag: string;
  /** the port is a default, not asked for: when another program holds it, any free port instead (said in the log) */
  orAnyFree?: boolean;
}

function bind(server: Server, port: number, host: string): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    server.once('error', reject).listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
}

/**
 * Serves a component's HTTP server on the stack's host at its port: its address (for the URL table and the other
 * components) and the stop that closes it. A port asked for and in use is one clear error naming the flag.
 */
export async function listenOn(ctx: { host: string; log: Log }, server: Server, at: ComponentPort): Promise<{ url: string; stop: () => Promise<void> }> {
  try {
    await bind(server, at.port, ctx.host);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (!at.orAnyFree || code !== 'EADDRINUSE') {
      throw new ClinicaError('unavailable', `the ${at.what} cannot listen on ${ctx.host}:${at.port}: ${code ?? (err as Error).message}`, {
        hint: code === 'EADDRINUSE' ? `another program uses that port: stop it or pick another (${at.flag})` : undefined,
        cause: err,
      });
    }
    await bind(server, 0, ctx.host);
    ctx.log.warn(`the ${at.what}'s port ${at.port} is in use: it listens on another (${at.flag} chooses one)`);
  }
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    url: `http://${ctx.host.includes(':') ? `[${ctx.host}]` : ctx.host}:${port}/`,
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

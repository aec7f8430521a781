import type { Server } from 'node:http';

/**
 * Serves a component's HTTP server on a free port of the stack's host: its address (for the URL table and the
 * other components) and the stop that closes it.
 */
export async function listenOnFreePort(ctx: { host: string }, server: Server): Promise<{ url: string; stop: () => Promise<void> }> {
  await new Promise<void>((resolve, reject) => server.once('error', reject).listen(0, ctx.host, resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    url: `http://${ctx.host.includes(':') ? `[${ctx.host}]` : ctx.host}:${port}/`,
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

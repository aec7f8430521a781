/**
 * Ports for a program a test must start on a number it knows beforehand (Pebble's config, `clinica dev --port`).
 *
 * A port the system handed to `listen(0)` and then released is not reserved: the kernel gives ports of its
 * ephemeral range to other tests' `listen(0)` and outgoing connections too, so it can be taken before the program
 * binds it. These ports come from below that range, which the kernel never hands out by itself; each is checked
 * free (with the offsets asked for) before it is returned.
 */
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';

function ephemeralStart(): number {
  try {
    const [low] = readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/).map(Number);
    if (Number.isInteger(low) && low > 11000) return low;
  } catch {
    // not Linux: the IANA dynamic range begins at 49152
  }
  return 32768;
}

const LOW = 10000;
const HIGH = ephemeralStart() - 10;

const listen = (port: number) =>
  new Promise<Server | undefined>((resolve) => {
    const s = createServer();
    s.once('error', () => resolve(undefined)).listen(port, '127.0.0.1', () => resolve(s));
  });

/** A port P, outside the kernel's ephemeral range, with P + each offset free as well. */
export async function freePort(offsets: readonly number[] = []): Promise<number> {
  for (let attempt = 0; attempt < 200; attempt++) {
    const port = LOW + Math.floor(Math.random() * (HIGH - LOW));
    const held: Server[] = [];
    for (const p of [port, ...offsets.map((o) => port + o)]) {
      const s = await listen(p);
      if (!s) break;
      held.push(s);
    }
    await Promise.all(held.map((s) => new Promise((r) => s.close(r))));
    if (held.length === offsets.length + 1) return port;
  }
  throw new Error(`no free port between ${LOW} and ${HIGH}`);
}

/**
 * The internal-network guard: the backend answers only the clinic's network(s) and loopback, and decides
 * that before looking at any credentials.
 *
 * Which address is "the client": the TCP peer of the socket — unless that peer is one of
 * `network.trustedProxies`, in which case the X-Forwarded-For chain is read from the right, skipping
 * trusted proxies, and the first address that is not a trusted proxy is the client. A request that does
 * not come from a trusted proxy has its X-Forwarded-For ignored entirely, so a machine on the internet
 * cannot claim to be 192.168.0.10 by sending the header. A malformed chain from a trusted proxy is
 * refused (fail closed).
 */
import { BlockList, isIP } from 'node:net';

export interface NetworkPolicy {
  /** sources allowed besides loopback (config.network.clinicCidrs) */
  clinicCidrs: string[];
  /** reverse proxies whose X-Forwarded-For is believed (config.network.trustedProxies) */
  trustedProxies: string[];
}

export type ClientAddress = { ok: true; address: string } | { ok: false; reason: string; address?: string };

/** "::ffff:192.168.0.5" → "192.168.0.5"; drops IPv6 zone ids and brackets. */
export function normaliseAddress(raw: string): string {
  let a = raw.trim();
  if (a.startsWith('[')) a = a.slice(1, a.indexOf(']') === -1 ? undefined : a.indexOf(']'));
  const zone = a.indexOf('%');
  if (zone !== -1) a = a.slice(0, zone);
  const mapped = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/i.exec(a);
  return mapped ? mapped[1]! : a.toLowerCase();
}

function blockListOf(cidrs: string[]): BlockList {
  const list = new BlockList();
  for (const cidr of cidrs) {
    const [addr, bits] = cidr.split('/');
    const family = isIP(addr!) === 6 ? 'ipv6' : 'ipv4';
    list.addSubnet(normaliseAddress(addr!), Number(bits), family);
  }
  return list;
}

function inList(list: BlockList, address: string): boolean {
  const family = isIP(address);
  if (family === 0) return false;
  return list.check(address, family === 6 ? 'ipv6' : 'ipv4');
}

/** One entry of X-Forwarded-For: an address, possibly with a port ("1.2.3.4:5678", "[::1]:80"). */
function parseForwarded(entry: string): string | undefined {
  let a = entry.trim();
  if (a.startsWith('[')) a = a.slice(1, a.indexOf(']'));
  else if (/^\d{1,3}(\.\d{1,3}){3}:\d+$/.test(a)) a = a.slice(0, a.lastIndexOf(':'));
  const n = normaliseAddress(a);
  return isIP(n) ? n : undefined;
}

/**
 * The loopback sources always allowed: the host itself (health checks, an SSH tunnel, `clinica dev`). Just
 * 127.0.0.1 and ::1 rather than all of 127/8, so tests can play an outside machine from 127.0.0.2.
 */
export const LOOPBACK = ['127.0.0.1/32', '::1/128'];

export class NetworkGuard {
  private readonly allowed: BlockList;
  private readonly proxies: BlockList;

  private readonly hasProxies: boolean;

  constructor(readonly policy: NetworkPolicy) {
    this.allowed = blockListOf([...LOOPBACK, ...policy.clinicCidrs]);
    this.proxies = blockListOf(policy.trustedProxies);
    this.hasProxies = policy.trustedProxies.length > 0;
  }

  /** The client's address, from the socket peer and (only from trusted proxies) X-Forwarded-For. */
  clientAddress(peer: string | undefined, forwardedFor: string | string[] | undefined): ClientAddress {
    if (!peer) return { ok: false, reason: 'no peer address' };
    let client = normaliseAddress(peer);
    if (forwardedFor === undefined || !this.hasProxies || !inList(this.proxies, client)) return { ok: true, address: client };
    const chain = (Array.isArray(forwardedFor) ? forwardedFor.join(',') : forwardedFor).split(',');
    for (let i = chain.length - 1; i >= 0; i--) {
      const hop = parseForwarded(chain[i]!);
      if (!hop) return { ok: false, reason: 'malformed X-Forwarded-For from a trusted proxy', address: client };
      client = hop;
      if (!inList(this.proxies, hop)) break;
    }
    return { ok: true, address: client };
  }

  private readonly decided = new Map<string, boolean>();

  /** Loopback or one of the clinic's networks (decisions remembered: a clinic has few machines). */
  allows(address: string): boolean {
    let ok = this.decided.get(address);
    if (ok === undefined) {
      ok = inList(this.allowed, address);
      if (this.decided.size >= 4096) this.decided.clear();
      this.decided.set(address, ok);
    }
    return ok;
  }
}

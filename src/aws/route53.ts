/**
 * Finding the public Route 53 zone that holds a name — shared by deploy (src/infra/dns.ts) and the instance,
 * which writes its ACME challenge there (src/server/main.ts). Kept apart from src/infra so the server bundle
 * does not pull in the deploy code.
 */
import type { Route53Client } from '@aws-sdk/client-route-53';

/** Route 53 writes names with a final dot. */
export const fqdn = (name: string) => (name.endsWith('.') ? name : `${name}.`);

/** The names a zone for `domain` may have: itself, then each parent down to two labels. */
export function zoneCandidates(domain: string): string[] {
  const labels = domain.split('.');
  return labels.slice(0, -1).map((_, i) => labels.slice(i).join('.'));
}

/** The public hosted zone that holds `domain`: the one of the longest matching name, if any. */
export async function findHostedZone(route53: Route53Client, domain: string): Promise<{ id: string; name: string } | undefined> {
  const { ListHostedZonesByNameCommand } = await import('@aws-sdk/client-route-53');
  for (const name of zoneCandidates(domain)) {
    const out = await route53.send(new ListHostedZonesByNameCommand({ DNSName: name, MaxItems: 1 }));
    const zone = out.HostedZones?.[0];
    if (zone?.Id && zone.Name === fqdn(name) && !zone.Config?.PrivateZone) return { id: zone.Id.replace(/^\/hostedzone\//, ''), name };
  }
  return undefined;
}

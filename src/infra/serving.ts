/**
 * How the staff page is served on target aws: over HTTPS on 443 at network.domain (secure by default), or —
 * only when the config says network.plainHttp: true, for a clinic that reaches AWS over a VPN — over plain
 * HTTP on network.serverPort at the instance's address. Without either, deploy and status refuse.
 */
import type { ResolvedConfig } from '../config/load.js';
import { ClinicaError } from '../errors.js';

export type Serving = { https: true; domain: string } | { https: false };

export const PLAIN_HTTP_WARNING =
  'network.plainHttp is true: the staff page, patient records and image links cross the network UNENCRYPTED — acceptable only over a VPN into the VPC; set network.domain to serve HTTPS';

/** The serving mode of a config, or the one-line refusal (exit 2) when it would be plain HTTP unasked. */
export function serving(config: Pick<ResolvedConfig, 'network'>): Serving {
  const { domain, plainHttp } = config.network;
  if (domain) return { https: true, domain };
  if (plainHttp) return { https: false };
  throw new ClinicaError(
    'config',
    'network.domain is not set, and clinica does not serve the staff page over plain HTTP: set it with `clinica init --domain sistema.<your clinic>.com.br` (or network.plainHttp: true, only for a clinic on a VPN)',
    { field: 'network.domain' },
  );
}

/** The staff page's address: https://<domain>/, or http://<ip>:<port>/ when plainHttp. */
export function staffUrl(config: Pick<ResolvedConfig, 'network'>, ip: string | undefined): string | undefined {
  const domain = httpsDomain(config);
  if (domain) return `https://${domain}/`;
  return ip ? `http://${ip}:${config.network.serverPort}/` : undefined;
}

/** network.domain when the staff page is served over HTTPS there; undefined with network.plainHttp or none. */
export const httpsDomain = (config: Pick<ResolvedConfig, 'network'>): string | undefined =>
  config.network.domain && !config.network.plainHttp ? config.network.domain : undefined;

/**
 * The backend's TLS settings on target aws: TLS 1.2 minimum, forward-secret AEAD ciphers only (Mozilla's
 * "intermediate" list), and HSTS on every answer. The certificate is swapped in place on renewal
 * (tls.Server#setSecureContext): connections already open keep theirs, new ones get the new one.
 */
export interface Certificate {
  /** PEM: the certificate and its chain */
  cert: string;
  /** PEM: the private key */
  key: string;
}

export const TLS_CIPHERS = [
  'TLS_AES_128_GCM_SHA256',
  'TLS_AES_256_GCM_SHA384',
  'TLS_CHACHA20_POLY1305_SHA256',
  'ECDHE-ECDSA-AES128-GCM-SHA256',
  'ECDHE-RSA-AES128-GCM-SHA256',
  'ECDHE-ECDSA-AES256-GCM-SHA384',
  'ECDHE-RSA-AES256-GCM-SHA384',
  'ECDHE-ECDSA-CHACHA20-POLY1305',
  'ECDHE-RSA-CHACHA20-POLY1305',
].join(':');

/** Two years, this name and below (the staff page's name is the clinic's own subdomain). */
export const HSTS = 'max-age=63072000; includeSubDomains';

export const tlsOptions = (certificate: Certificate) => ({
  ...certificate,
  minVersion: 'TLSv1.2' as const,
  ciphers: TLS_CIPHERS,
  honorCipherOrder: true,
});

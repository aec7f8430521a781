/**
 * A WebAuthn ceremony of the page (@simplewebauthn/browser): the server's options, then the browser's dialog.
 * null when the person cancelled it or this device has no passkey (the caller says so in its own error line).
 */
import { startAuthentication, startRegistration } from '@simplewebauthn/browser';
import type { PasskeyOptionsReply } from './api-types.js';
import { api } from './api.js';

type Start = typeof startAuthentication | typeof startRegistration;
type StartOptions = Parameters<typeof startAuthentication>[0]['optionsJSON'] & Parameters<typeof startRegistration>[0]['optionsJSON'];

async function ceremony(optionsPath: string, start: Start): Promise<Record<string, unknown> | null> {
  const { data } = await api<PasskeyOptionsReply>('POST', optionsPath);
  try {
    return (await start({ optionsJSON: data.options as unknown as StartOptions })) as unknown as Record<string, unknown>;
  } catch {
    return null;
  }
}

/** Signing in with a passkey: the assertion to send, or null. */
export const passkeyAssertion = () => ceremony('/api/sign-in/passkey/options', startAuthentication);
/** Registering a new passkey: the attestation to send, or null. */
export const passkeyRegistration = () => ceremony('/api/enrol/passkey/options', startRegistration);

/**
 * The reminder sender (mail.sender). There is no default: an address the clinic does not own would be
 * refused by SES at best, and on another domain it would be mail sent in someone else's name. A config
 * without one runs everything but the sending of reminders, which names the setting to add.
 */
import { ClinicaError } from '../errors.js';
import type { Config } from './schema.js';

/** What the hints say to do: the setting in the file, or init's flag. */
const SET_IT = 'set "mail": { "sender": "Clínica <lembretes@your-domain>" } in clinica.config.json, or run `clinica init --force --sender …`';

/** The config error (exit 2) of a config without mail.sender. */
export function missingSender(): ClinicaError {
  return new ClinicaError('config', 'mail.sender is not set: reminders need an address of the clinic to be sent from', {
    field: 'mail.sender',
    hint: SET_IT,
  });
}

/** The From of every reminder, or the missingSender error. */
export function reminderSender(config: Pick<Config, 'mail'>): string {
  if (!config.mail.sender) throw missingSender();
  return config.mail.sender;
}

/** The bare address of a sender: "Clínica <x@y>" → "x@y". */
export function senderAddress(sender: string): string {
  const m = /<([^>]+)>/.exec(sender);
  return (m ? m[1]! : sender).trim();
}

/**
 * The domain of an address that can never send or receive mail: the names reserved for examples and tests
 * (RFC 2606, RFC 6761) — "clinica.example", "x.test", "example.com". Undefined for any other.
 */
export function reservedMailDomain(address: string): string | undefined {
  const domain = address.split('@').pop()!.toLowerCase().replace(/\.$/, '');
  const labels = domain.split('.');
  if (['example', 'test', 'invalid', 'localhost'].includes(labels.at(-1)!)) return domain;
  if (/^example\.(com|net|org)$/.test(labels.slice(-2).join('.'))) return domain;
  return undefined;
}

/**
 * The sender a deployed stage sends from: set, and of a domain that can have mail (SES would wait forever to
 * verify lembretes@clinica.example). A config error (exit 2) otherwise, before any change.
 */
export function deployableSender(config: Pick<Config, 'mail'>): string {
  const sender = reminderSender(config);
  const domain = reservedMailDomain(senderAddress(sender));
  if (domain) {
    throw new ClinicaError('config', `mail.sender ${senderAddress(sender)}: ${domain} is a domain reserved for examples — no mail can be sent from it`, {
      field: 'mail.sender',
      hint: `use an address of the clinic's own domain (SES verifies it): ${SET_IT}`,
    });
  }
  return sender;
}

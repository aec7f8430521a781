/**
 * The EC2 user data: templates/ec2/user-data.sh with `{{include file}}` replaced by the other files of that
 * folder (systemd units, the update script), `{{unit file}}` by the shell that writes that unit file into
 * /etc/systemd/system, and `{{name}}` by values that are all plain names (bucket,
 * region, function) — never a secret. Its hash is tagged on the instance: a changed script means a new
 * instance (user data runs only at first boot).
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ClinicaError } from '../errors.js';
import { PACKAGE_ROOT } from './bundle.js';

export interface UserDataValues {
  bucket: string;
  region: string;
  remindersFunction: string;
  /** the clinic's IANA time zone: the maintenance window is in it */
  timeZone: string;
  /** HH:MM, the start of aws.maintenanceWindow */
  maintenanceStart: string;
  /** how long after the start a reboot may still happen: the window's length less 5 minutes */
  maintenanceSpreadMinutes: string;
}

const SAFE = /^[A-Za-z0-9._:/+-]+$/;

export const DEFAULT_MAINTENANCE_WINDOW = { start: '03:00', end: '04:00' };

/** The reboot timer's start and spread for a window "HH:MM"–"HH:MM" (one that passes midnight too). */
export function maintenanceTimer(window: { start: string; end: string } = DEFAULT_MAINTENANCE_WINDOW): { maintenanceStart: string; maintenanceSpreadMinutes: string } {
  const minutes = (t: string) => Number(t.slice(0, 2)) * 60 + Number(t.slice(3, 5));
  const length = (minutes(window.end) - minutes(window.start) + 24 * 60) % (24 * 60);
  return { maintenanceStart: window.start, maintenanceSpreadMinutes: String(Math.max(1, length - 5)) };
}

export function renderUserData(values: UserDataValues, dir = join(PACKAGE_ROOT, 'templates', 'ec2')): string {
  const read = (file: string) => {
    try {
      return readFileSync(join(dir, file), 'utf8');
    } catch {
      throw new ClinicaError('internal', `templates/ec2/${file} is missing`, { hint: 'reinstall clinica' });
    }
  };
  let text = read('user-data.sh')
    .replace(/\{\{unit ([\w.-]+)\}\}/g, (_m, file: string) => `cat > /etc/systemd/system/${file} <<'CLINICA_EOF'\n{{include ${file}}}\nCLINICA_EOF`)
    .replace(/\{\{include ([\w.-]+)\}\}/g, (_m, file: string) => read(file).replace(/\n$/, ''));
  text = text.replace(/\{\{(\w+)\}\}/g, (_m, name: string) => {
    const value = (values as unknown as Record<string, string>)[name];
    if (value === undefined) throw new ClinicaError('internal', `templates/ec2: unknown placeholder {{${name}}}`);
    if (!SAFE.test(value)) throw new ClinicaError('internal', `templates/ec2: unsafe value for {{${name}}}: ${value}`);
    return value;
  });
  if (Buffer.byteLength(text) > 16 * 1024) throw new ClinicaError('internal', `the EC2 user data is ${Buffer.byteLength(text)} bytes; EC2 allows 16 KB`);
  return text;
}

export const userDataHash = (text: string) => createHash('sha256').update(text).digest('hex').slice(0, 16);

/**
 * The EC2 user data: templates/ec2/user-data.sh with `{{include file}}` replaced by the other files of that
 * folder (systemd units, the update script) and `{{name}}` by values that are all plain names (bucket,
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
}

const SAFE = /^[A-Za-z0-9._-]+$/;

export function renderUserData(values: UserDataValues, dir = join(PACKAGE_ROOT, 'templates', 'ec2')): string {
  const read = (file: string) => {
    try {
      return readFileSync(join(dir, file), 'utf8');
    } catch {
      throw new ClinicaError('internal', `templates/ec2/${file} is missing`, { hint: 'reinstall clinica' });
    }
  };
  let text = read('user-data.sh').replace(/\{\{include ([\w.-]+)\}\}/g, (_m, file: string) => read(file).replace(/\n$/, ''));
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

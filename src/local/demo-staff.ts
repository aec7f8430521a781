/**
 * `clinica dev --demo`: a demo admin for the staff page — an e-mail and a password generated per data folder,
 * kept (with an API token for scripts and the token sign-in) in .clinica/dev/demo-staff.json, so every re-run
 * prints the same ones and creates no second account — unless the account was revoked or the data reset. The
 * account is marked demo: on target local it signs in without a second factor (never on target aws).
 */
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createApiToken, verifyApiToken } from '../clinic/api-tokens.js';
import { verifyPassword } from '../clinic/passwords.js';
import { addStaff, findStaffByEmail, getStaffRecord, setPassword, type StaffRecord } from '../clinic/staff.js';
import { writeJsonFile } from '../json-file.js';
import { randomId } from '../random-id.js';
import type { DemoSeeder } from './stack.js';

export const DEMO_STAFF_FILE = 'demo-staff.json';
export const DEMO_ADMIN_EMAIL = 'admin@clinica.example';

interface Saved {
  id?: string;
  email?: string;
  password?: string;
  token?: string;
}

/** A password for the demo admin: 16 random base64url characters (96 bits). */
const newPassword = () => randomBytes(12).toString('base64url');

export const demoStaffSeeder: DemoSeeder = {
  name: 'staff',
  async seed(ctx) {
    const store = ctx.dataStore;
    const file = join(ctx.dir, DEMO_STAFF_FILE);
    let saved: Saved = {};
    try {
      saved = JSON.parse(await readFile(file, 'utf8')) as Saved;
    } catch {
      /* first run */
    }
    let record: StaffRecord | undefined = await findStaffByEmail(store, saved.email ?? DEMO_ADMIN_EMAIL);
    if (!record || record.revokedAt || record.role !== 'admin' || !record.demo) {
      const email = record ? `admin+${randomId(4)}@clinica.example` : DEMO_ADMIN_EMAIL;
      const made = await addStaff(store, { name: 'Demo Admin', role: 'admin', email, demo: true }, 'demo:seed');
      record = (await getStaffRecord(store, made.staff.id))!;
      saved = { id: record.id, email };
    }
    const password = saved.password ?? newPassword();
    if (!record.passwordHash || !(await verifyPassword(password, record.passwordHash))) await setPassword(store, record.id, password);
    let token = saved.token;
    const tokenOk = token ? (await verifyApiToken(store, token))?.staff.id === record.id : false;
    if (!tokenOk) token = (await createApiToken(store, { staffId: record.id, name: 'demo page token' }, 'demo:seed')).token;
    await writeJsonFile(file, { id: record.id, email: record.email, password, token }, { mode: 0o600 });
    ctx.endpoints.extra.demoStaffFile = file;
    const page = ctx.endpoints.server ? ` — sign in at ${ctx.endpoints.server}/` : '';
    return { summary: `admin ${record.email} / password ${password}${page} (API token ${token})` };
  },
};

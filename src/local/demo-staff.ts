/**
 * `clinica dev --demo`: a demo admin account for the staff page. Its token is kept in
 * .clinica/dev/demo-staff.json (a local, throwaway stack), so every re-run prints the same token and
 * creates no second account — unless the account was revoked or the data reset.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { addStaff, verifyStaffToken } from '../clinic/staff.js';
import type { DemoSeeder } from './stack.js';

export const DEMO_STAFF_FILE = 'demo-staff.json';

export const demoStaffSeeder: DemoSeeder = {
  name: 'staff',
  async seed(ctx) {
    const file = join(ctx.dir, DEMO_STAFF_FILE);
    let token: string | undefined;
    try {
      token = (JSON.parse(await readFile(file, 'utf8')) as { token?: string }).token;
    } catch {
      /* first run */
    }
    const existing = token ? await verifyStaffToken(ctx.dataStore, token) : undefined;
    if (!existing || existing.role !== 'admin') {
      const created = await addStaff(ctx.dataStore, { name: 'Demo Admin', role: 'admin' }, 'demo:seed');
      token = created.token;
      await writeFile(file, JSON.stringify({ id: created.staff.id, token }, null, 2) + '\n', { mode: 0o600 });
    }
    ctx.endpoints.extra.demoStaffTokenFile = file;
    const page = ctx.endpoints.server ? ` — log in at ${ctx.endpoints.server}/` : '';
    return { summary: `admin token ${token}${page}` };
  },
};

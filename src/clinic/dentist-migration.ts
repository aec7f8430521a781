/**
 * From free-text dentists to records, once: every appointment without a `dentistId` is linked to the dentist
 * its name means — an existing record whose name or alias is the same name as compared ("Dra. Ana" = "dra
 * ana"), or a new record made for that name (the most used spelling as its name, the others kept as aliases).
 * The appointment keeps its name as booked; only `dentistId` is added (If-Match, so a concurrent change wins and
 * is reported). Re-running finds nothing left to link: it is idempotent, and a partial run is finished by the next.
 */
import { isClinicaError, oneLine } from '../errors.js';
import type { Store } from '../store/store.js';
import { APPOINTMENTS_PREFIX, dateOfId, refreshDayIndex } from './appointments.js';
import { audit } from './audit.js';
import { addDentist, listDentists, nameKey, type DentistRecord } from './dentists.js';
import { mapLimit } from '../map-limit.js';
import type { Appointment } from './types.js';

export interface DentistMigration {
  /** dentists made (or, in a dry run, that would be) */
  created: { name: string; aliases: string[]; appointments: number; id?: string }[];
  /** appointments linked to an existing dentist, per dentist id */
  linkedToExisting: Record<string, number>;
  /** appointments given a dentistId */
  linked: number;
  failed: { appointmentId: string; error: string }[];
  dryRun: boolean;
}

const sum = (spellings: Map<string, number>) => [...spellings.values()].reduce((n, c) => n + c, 0);

export async function migrateDentists(store: Store, actor: string, opts: { dryRun?: boolean } = {}): Promise<DentistMigration> {
  const keys: string[] = [];
  for await (const o of store.list(APPOINTMENTS_PREFIX)) if (o.key.endsWith('.json')) keys.push(o.key);
  const records = (await mapLimit(keys, 16, (k) => store.getJson<Appointment>(k))).filter((r) => r && !r.value.dentistId && r.value.dentist);
  const dentists = await listDentists(store);
  const byKey = new Map<string, DentistRecord>();
  for (const d of dentists) for (const n of [d.name, ...(d.aliases ?? [])]) if (!byKey.has(nameKey(n))) byKey.set(nameKey(n), d);

  // names without a record, grouped as compared, each spelling counted
  const unknown = new Map<string, Map<string, number>>();
  const linkedToExisting: Record<string, number> = {};
  for (const r of records) {
    const key = nameKey(r!.value.dentist);
    const known = byKey.get(key);
    if (known) linkedToExisting[known.id] = (linkedToExisting[known.id] ?? 0) + 1;
    else {
      const spellings = unknown.get(key) ?? new Map<string, number>();
      spellings.set(r!.value.dentist, (spellings.get(r!.value.dentist) ?? 0) + 1);
      unknown.set(key, spellings);
    }
  }
  const result: DentistMigration = { created: [], linkedToExisting, linked: 0, failed: [], dryRun: Boolean(opts.dryRun) };
  // the most booked first (then by name): a stable order for the plan and the records' colours
  const groups = [...unknown].sort(
    (a, b) => sum(b[1]) - sum(a[1]) || a[0].localeCompare(b[0]),
  );
  for (const [key, spellings] of groups) {
    const ranked = [...spellings].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
    const name = ranked[0]![0];
    const aliases = ranked.slice(1).map(([n]) => n);
    const count = ranked.reduce((n, [, c]) => n + c, 0);
    if (opts.dryRun) {
      result.created.push({ name, aliases, appointments: count });
      continue;
    }
    const made = await addDentist(store, { name }, actor, { aliases });
    byKey.set(key, made);
    result.created.push({ name, aliases, appointments: count, id: made.id });
  }
  if (opts.dryRun) return result;

  const days = new Set<string>();
  await mapLimit(records, 8, async (r) => {
    const a = r!.value;
    const dentist = byKey.get(nameKey(a.dentist))!;
    try {
      await store.putJson(`${APPOINTMENTS_PREFIX}${dateOfId(a.id)}/${a.id}.json`, { ...a, dentistId: dentist.id, version: a.version + 1 }, { ifMatch: r!.etag });
      result.linked++;
      days.add(dateOfId(a.id));
    } catch (err) {
      result.failed.push({ appointmentId: a.id, error: isClinicaError(err, 'conflict') ? 'changed meanwhile; run the migration again' : oneLine(err) });
    }
  });
  await mapLimit([...days], 8, (d) => refreshDayIndex(store, d));
  if (result.linked || result.created.length) {
    await audit(store, { actor, action: 'dentist.migrate', details: { created: result.created.length, linked: result.linked, failed: result.failed.length } });
  }
  return result;
}

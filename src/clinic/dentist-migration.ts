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

/** What the migration would do, read without writing: the dentists to record and the appointments to link. */
export interface DentistMigrationPlan {
  /** the appointments without a dentistId, as read (with their ETags: a change since is not overwritten) */
  appointments: { value: Appointment; etag: string }[];
  /** the dentist each compared name means, of the records read */
  byKey: Map<string, DentistRecord>;
  /** the dentists to record, the most booked first (then by name): a stable order for the records' colours */
  create: { key: string; name: string; aliases: string[]; appointments: number }[];
  linkedToExisting: Record<string, number>;
}

/** Reads the appointments and the dentists and works out the migration; writes nothing (that is `--dry-run`). */
export async function planDentistMigration(store: Store): Promise<DentistMigrationPlan> {
  const keys: string[] = [];
  for await (const o of store.list(APPOINTMENTS_PREFIX)) if (o.key.endsWith('.json')) keys.push(o.key);
  const read = await mapLimit(keys, 16, (k) => store.getJson<Appointment>(k));
  const appointments = read.filter((r): r is { value: Appointment; etag: string } => Boolean(r && !r.value.dentistId && r.value.dentist));
  const byKey = new Map<string, DentistRecord>();
  for (const d of await listDentists(store)) for (const n of [d.name, ...(d.aliases ?? [])]) if (!byKey.has(nameKey(n))) byKey.set(nameKey(n), d);

  // names without a record, grouped as compared, each spelling counted
  const unknown = new Map<string, Map<string, number>>();
  const linkedToExisting: Record<string, number> = {};
  for (const { value } of appointments) {
    const key = nameKey(value.dentist);
    const known = byKey.get(key);
    if (known) linkedToExisting[known.id] = (linkedToExisting[known.id] ?? 0) + 1;
    else {
      const spellings = unknown.get(key) ?? new Map<string, number>();
      spellings.set(value.dentist, (spellings.get(value.dentist) ?? 0) + 1);
      unknown.set(key, spellings);
    }
  }
  const create = [...unknown]
    .sort((a, b) => sum(b[1]) - sum(a[1]) || a[0].localeCompare(b[0]))
    .map(([key, spellings]) => {
      const ranked = [...spellings].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
      return { key, name: ranked[0]![0], aliases: ranked.slice(1).map(([n]) => n), appointments: sum(spellings) };
    });
  return { appointments, byKey, create, linkedToExisting };
}

/** The plan as a result, nothing done: what `--dry-run` shows. */
export function plannedMigration(plan: DentistMigrationPlan): DentistMigration {
  const created = plan.create.map(({ name, aliases, appointments }) => ({ name, aliases, appointments }));
  return { created, linkedToExisting: plan.linkedToExisting, linked: 0, failed: [], dryRun: true };
}

/** Records the planned dentists, then links each appointment (If-Match: one changed since the plan is reported). */
export async function applyDentistMigration(store: Store, plan: DentistMigrationPlan, actor: string): Promise<DentistMigration> {
  const byKey = new Map(plan.byKey);
  const result: DentistMigration = { created: [], linkedToExisting: plan.linkedToExisting, linked: 0, failed: [], dryRun: false };
  for (const { key, name, aliases, appointments } of plan.create) {
    const made = await addDentist(store, { name }, actor, { aliases });
    byKey.set(key, made);
    result.created.push({ name, aliases, appointments, id: made.id });
  }
  const days = new Set<string>();
  await mapLimit(plan.appointments, 8, async ({ value: a, etag }) => {
    const dentist = byKey.get(nameKey(a.dentist))!;
    try {
      await store.putJson(`${APPOINTMENTS_PREFIX}${dateOfId(a.id)}/${a.id}.json`, { ...a, dentistId: dentist.id, version: a.version + 1 }, { ifMatch: etag });
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

/** Plan and apply in one call (the demo seeder's); with dryRun, the plan alone. */
export async function migrateDentists(store: Store, actor: string, opts: { dryRun?: boolean } = {}): Promise<DentistMigration> {
  const plan = await planDentistMigration(store);
  return opts.dryRun ? plannedMigration(plan) : applyDentistMigration(store, plan, actor);
}

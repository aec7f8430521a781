/**
 * `clinica restore`: puts data back as it was at a moment, from the object versions the data bucket keeps
 * (aws.noncurrentVersionDays, default 90) or, for what has expired there, from the backup bucket (Object Lock,
 * aws.backupRetentionDays). Plan → confirm → apply: the plan reads versions only and says, per object, what
 * would change; apply writes the old content as a NEW current version (If-Match on the version it planned
 * against), so nothing later is ever deleted — a restore can itself be undone by restoring again.
 *
 * - one patient: the record, their appointments (those in their appointment index then or now) with that
 *   index, and their image records (images/<id>/<image>/image.json; the image bytes are write-once);
 * - everything (`--all --to-stage`): every object as of the moment, into another stage's bucket, for disaster
 *   recovery; objects created later are not copied, objects already there are overwritten with a new version.
 */
import { ClinicaError, notFound } from '../errors.js';
import { audit } from '../clinic/audit.js';
import { appointmentKey } from '../clinic/appointments.js';
import { BY_PATIENT_PREFIX } from '../clinic/patient-appointments.js';
import { notePatientsChanged } from '../clinic/patient-changes.js';
import { normalizePatientId, patientKey, patientOfKey } from '../clinic/patients.js';
import { IMAGES_PREFIX } from '../clinic/images.js';
import { mapLimit } from '../map-limit.js';
import type { OnProgress } from '../progress.js';
import type { ObjectVersionInfo, Store } from '../store/store.js';

/** Where versions are read from: the data bucket first, the backup for what has expired there. */
export interface VersionSources {
  data: Store;
  backup?: Store;
}

export type SourceName = 'data bucket' | 'backup';

export interface RestoreItem {
  key: string;
  what: 'patient record' | 'appointment' | 'appointment index' | 'image record' | 'object';
  /** restore: write the old content as a new version; unchanged: already so; later: created after the moment (kept) */
  action: 'restore' | 'unchanged' | 'later';
  /** the version restored, and where it was found */
  from?: { source: SourceName; versionId: string; lastModified: string };
  /** the current version's ETag the write is conditioned on (undefined: the key is absent now) */
  currentEtag?: string;
  /** for JSON records: the top-level fields that differ from the current content (names only) */
  fields?: string[];
}

export interface PatientRestorePlan {
  patientId: string;
  at: string;
  items: RestoreItem[];
  /** how many objects apply would write */
  changes: number;
}

const byNewest = (a: ObjectVersionInfo, b: ObjectVersionInfo) => b.lastModified.getTime() - a.lastModified.getTime();

/** The version a key had at the moment: the newest written at or before it (a delete marker means "absent"). */
export function versionAt(versions: ObjectVersionInfo[], at: Date): ObjectVersionInfo | undefined {
  return [...versions].sort(byNewest).find((v) => v.lastModified.getTime() <= at.getTime());
}

interface KeyHistory {
  data: ObjectVersionInfo[];
  backup: ObjectVersionInfo[];
}

/** A key's version at the moment: the data bucket's if it goes back that far, else the backup's. */
function pick(history: KeyHistory, at: Date): { version?: ObjectVersionInfo; source: SourceName } {
  const inData = versionAt(history.data, at);
  if (inData) return { version: inData, source: 'data bucket' };
  // nothing in the data bucket at or before the moment: either the key did not exist, or its old versions
  // expired there (noncurrentVersionDays) — the backup keeps them longer
  const inBackup = versionAt(history.backup, at);
  return { version: inBackup, source: 'backup' };
}

async function histories(sources: VersionSources, prefix: string): Promise<Map<string, KeyHistory>> {
  const [data, backup] = await Promise.all([sources.data.listVersions(prefix), sources.backup ? sources.backup.listVersions(prefix).catch(() => []) : []]);
  const out = new Map<string, KeyHistory>();
  const entry = (key: string) => {
    let h = out.get(key);
    if (!h) out.set(key, (h = { data: [], backup: [] }));
    return h;
  };
  for (const v of data) entry(v.key).data.push(v);
  for (const v of backup) entry(v.key).backup.push(v);
  return out;
}

const storeOf = (sources: VersionSources, source: SourceName): Store => (source === 'backup' ? sources.backup! : sources.data);

async function readVersionJson(sources: VersionSources, source: SourceName, key: string, versionId: string): Promise<unknown> {
  const got = await storeOf(sources, source).getVersion(key, versionId);
  if (!got) return undefined;
  try {
    return JSON.parse(got.body.toString('utf8'));
  } catch {
    return undefined;
  }
}

function changedFields(then: unknown, now: unknown): string[] {
  if (!then || !now || typeof then !== 'object' || typeof now !== 'object') return [];
  const a = then as Record<string, unknown>;
  const b = now as Record<string, unknown>;
  return [...new Set([...Object.keys(a), ...Object.keys(b)])].filter((k) => JSON.stringify(a[k]) !== JSON.stringify(b[k])).sort();
}

/** One key's line of the plan: what it was at the moment against what it is now. */
async function planKey(sources: VersionSources, key: string, what: RestoreItem['what'], history: KeyHistory, at: Date): Promise<RestoreItem | undefined> {
  const { version, source } = pick(history, at);
  const current = [...history.data].sort(byNewest)[0];
  const currentEtag = current && !current.deleteMarker ? current.etag : undefined;
  if (!version || version.deleteMarker) {
    // absent at the moment: if it exists now it was made later, and is kept (a restore never deletes)
    return currentEtag ? { key, what, action: 'later', currentEtag } : undefined;
  }
  const from = { source, versionId: version.versionId, lastModified: version.lastModified.toISOString() };
  if (currentEtag && current!.versionId === version.versionId && source === 'data bucket') return { key, what, action: 'unchanged', from, currentEtag };
  if (currentEtag && currentEtag === version.etag) return { key, what, action: 'unchanged', from, currentEtag };
  const item: RestoreItem = { key, what, action: 'restore', from, currentEtag };
  if (key.endsWith('.json') && currentEtag) {
    const [then, now] = await Promise.all([readVersionJson(sources, source, key, version.versionId), readVersionJson(sources, 'data bucket', key, current!.versionId)]);
    item.fields = changedFields(then, now);
  }
  return item;
}

/** The plan for one patient as of a moment: reads only. An unknown patient, or one not yet created then, is refused. */
export async function planPatientRestore(sources: VersionSources, patientIdText: string, at: Date): Promise<PatientRestorePlan> {
  const patientId = normalizePatientId(patientIdText, 'patient');
  const recordKey = patientKey(patientId);
  const record = (await histories(sources, recordKey)).get(recordKey) ?? { data: [], backup: [] };
  if (!record.data.length && !record.backup.length) {
    throw notFound(`patient ${patientId}: no record and no version of one in the data bucket${sources.backup ? ' or the backup' : ''}`, {
      hint: 'check the id with `clinica patients list`',
      field: 'patient',
    });
  }
  const recordAt = pick(record, at).version;
  if (!recordAt || recordAt.deleteMarker) {
    const first = [...record.data, ...record.backup].sort(byNewest).at(-1)!;
    throw new ClinicaError('usage', `patient ${patientId} had no record at ${at.toISOString()} (the oldest version kept is of ${first.lastModified.toISOString()})`, {
      hint: 'choose a later --at',
      field: 'at',
    });
  }
  const items: RestoreItem[] = [];
  const add = (item: RestoreItem | undefined) => item && items.push(item);
  add(await planKey(sources, recordKey, 'patient record', record, at));

  // appointments: those in the patient's index then or now
  const indexKey = `${BY_PATIENT_PREFIX}${patientId}.json`;
  const index = (await histories(sources, indexKey)).get(indexKey);
  const appointmentIds = new Set<string>();
  if (index) {
    const then = pick(index, at);
    const now = [...index.data].sort(byNewest)[0];
    for (const [source, v] of [[then.source, then.version], ['data bucket', now]] as const) {
      if (!v || v.deleteMarker) continue;
      const got = (await readVersionJson(sources, source, indexKey, v.versionId)) as { appointments?: { id?: string }[] } | undefined;
      for (const a of got?.appointments ?? []) if (a.id) appointmentIds.add(a.id);
    }
    add(await planKey(sources, indexKey, 'appointment index', index, at));
  }
  const appointmentItems = await mapLimit([...appointmentIds].sort(), 8, async (id) => {
    const key = appointmentKey(id);
    const h = (await histories(sources, key)).get(key);
    return h ? planKey(sources, key, 'appointment', h, at) : undefined;
  });
  for (const item of appointmentItems) add(item);

  // image records (the bytes of an image are written once and never change)
  const images = await histories(sources, `${IMAGES_PREFIX}${patientId}/`);
  for (const [key, h] of [...images].sort(([a], [b]) => (a < b ? -1 : 1))) {
    if (key.endsWith('/image.json')) add(await planKey(sources, key, 'image record', h, at));
  }
  return { patientId, at: at.toISOString(), items, changes: items.filter((i) => i.action === 'restore').length };
}

export interface RestoreResult {
  restored: string[];
  failed: { key: string; error: string }[];
}

/** Writes one planned version as the new current one, conditioned on what the plan saw. */
async function restoreOne(sources: VersionSources, target: Store, item: RestoreItem, conditional: boolean): Promise<void> {
  const got = await storeOf(sources, item.from!.source).getVersion(item.key, item.from!.versionId);
  if (!got) throw new ClinicaError('not-found', `version ${item.from!.versionId} of ${item.key} is no longer there`);
  await target.put(item.key, got.body, {
    contentType: got.contentType,
    metadata: Object.keys(got.metadata).length ? got.metadata : undefined,
    ...(conditional ? (item.currentEtag ? { ifMatch: item.currentEtag } : { ifNoneMatch: '*' as const }) : {}),
  });
}

/** Applies a patient's plan: each changed object written anew (If-Match), failures reported, the restore audited. */
export async function applyPatientRestore(sources: VersionSources, plan: PatientRestorePlan, actor: string, onProgress?: OnProgress<string>): Promise<RestoreResult> {
  const todo = plan.items.filter((i) => i.action === 'restore');
  const result: RestoreResult = { restored: [], failed: [] };
  let done = 0;
  for (const item of todo) {
    try {
      await restoreOne(sources, sources.data, item, true);
      result.restored.push(item.key);
    } catch (err) {
      result.failed.push({ key: item.key, error: (err as Error).message });
    }
    onProgress?.({ done: ++done, total: todo.length, item: item.key });
  }
  if (result.restored.length) await notePatientsChanged(sources.data, [plan.patientId]);
  await audit(sources.data, {
    actor,
    action: 'patient.restore',
    patientId: plan.patientId,
    details: { at: plan.at, restored: result.restored.length, failed: result.failed.length, fromBackup: todo.filter((i) => i.from?.source === 'backup').length },
  });
  return result;
}

// --- everything, into another stage ---

export interface StoreRestorePlan {
  at: string;
  /** the target bucket */
  to: string;
  items: RestoreItem[];
  /** objects that existed at the moment, by top-level prefix */
  byPrefix: Record<string, number>;
}

/** Every object as of the moment (the data bucket's versions, the backup's where they expired). Reads only. */
export async function planStoreRestore(sources: VersionSources, target: Store, at: Date): Promise<StoreRestorePlan> {
  const all = await histories(sources, '');
  const items: RestoreItem[] = [];
  const byPrefix: Record<string, number> = {};
  for (const [key, h] of [...all].sort(([a], [b]) => (a < b ? -1 : 1))) {
    const { version, source } = pick(h, at);
    if (!version || version.deleteMarker) continue;
    items.push({ key, what: 'object', action: 'restore', from: { source, versionId: version.versionId, lastModified: version.lastModified.toISOString() } });
    const top = key.includes('/') ? `${key.split('/')[0]}/` : key;
    byPrefix[top] = (byPrefix[top] ?? 0) + 1;
  }
  if (!items.length) {
    throw new ClinicaError('usage', `nothing existed in the data bucket${sources.backup ? ' or the backup' : ''} at ${at.toISOString()}`, { hint: 'choose a later --at', field: 'at' });
  }
  return { at: at.toISOString(), to: target.bucket, items, byPrefix };
}

/** Copies every planned version into the target as its current version; per-object failures are reported. */
export async function applyStoreRestore(sources: VersionSources, target: Store, plan: StoreRestorePlan, actor: string, onProgress?: OnProgress<string>): Promise<RestoreResult> {
  const result: RestoreResult = { restored: [], failed: [] };
  let done = 0;
  await mapLimit(plan.items, 16, async (item) => {
    try {
      await restoreOne(sources, target, item, false);
      result.restored.push(item.key);
    } catch (err) {
      result.failed.push({ key: item.key, error: (err as Error).message });
    }
    onProgress?.({ done: ++done, total: plan.items.length, item: item.key });
  });
  result.restored.sort();
  await notePatientsChanged(target, result.restored.map(patientOfKey).filter((id) => id !== undefined));
  const details = { at: plan.at, from: sources.data.bucket, to: target.bucket, restored: result.restored.length, failed: result.failed.length };
  await audit(target, { actor, action: 'store.restore', details });
  await audit(sources.data, { actor, action: 'store.restore', details });
  return result;
}

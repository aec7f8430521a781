/**
 * The parts of an anonymization (LGPD) beyond the record's identifier fields: the person's name, CPF, phone and
 * e-mail written into free text and files. Run while the identifiers are still known (before the record is
 * anonymized), so a run stopped half-way is finished by running it again; every step is idempotent.
 *
 * - image records: the original's file name ("Zanzibar Xavier 31415926590 foto.png" → "foto.png") and notes
 * - the stored originals: EXIF/XMP/IPTC/comments and PNG text chunks stripped, pixels untouched (imaging/strip-metadata)
 * - appointment notes, and the patient's own notes and alerts (redactPatientText, applied in the record's write)
 *
 * What stays is the clinical content with a mark where an identifier was ("[nome removido]").
 * Then, on a versioned bucket (AWS), eraseOldCopies deletes the non-current versions of every object the
 * anonymization rewrote: an old version would otherwise keep the name for as long as the bucket keeps versions.
 */
import { isClinicaError } from '../errors.js';
import { stripMetadata } from '../imaging/strip-metadata.js';
import type { Store } from '../store/store.js';
import { appointmentKey } from './appointments.js';
import type { ImageRecord } from './images.js';
import { listPatientAppointments } from './patient-appointments.js';
import { shardKey, shardOf } from './patient-index.js';
import { identifierRedactor, redactFileName, type PersonIdentifiers, type RedactedKind } from './redact.js';
import { mapLimit } from './text.js';
import type { Appointment, Patient } from './types.js';

export interface ContentRedactions {
  /** where identifiers were found and removed, and which kinds ("image I-…: file name", ["name", "cpf"]) */
  redacted: { where: string; removed: RedactedKind[] }[];
  /** originals whose metadata was stripped, and what it held ("EXIF", "tEXt", …) */
  metadata: { imageId: string; removed: string[] }[];
}

/** The patient's notes and alerts without their identifiers (for the anonymized record). */
export function redactPatientText(patient: Patient): { notes?: string; alerts: string[]; redacted: ContentRedactions['redacted'] } {
  const redact = identifierRedactor(patient);
  const redacted: ContentRedactions['redacted'] = [];
  const notes = patient.notes === undefined ? undefined : redact(patient.notes);
  if (notes?.removed.length) redacted.push({ where: 'patient notes', removed: notes.removed });
  const alerts = patient.alerts.map((a) => redact(a));
  const alertKinds = [...new Set(alerts.flatMap((a) => a.removed))];
  if (alertKinds.length) redacted.push({ where: 'patient alerts', removed: alertKinds });
  return { ...(notes && { notes: notes.text }), alerts: alerts.map((a) => a.text), redacted };
}

/** Redacts the patient's image records and appointments and strips the originals' metadata (see above). */
export async function redactPatientContent(store: Store, person: PersonIdentifiers & { id: string }): Promise<ContentRedactions> {
  const redact = identifierRedactor(person);
  const result: ContentRedactions = { redacted: [], metadata: [] };

  const recordKeys: string[] = [];
  for await (const o of store.list(`images/${person.id}/`)) if (o.key.endsWith('/image.json')) recordKeys.push(o.key);
  await mapLimit(recordKeys, 4, async (key) => {
    let kinds: RedactedKind[] = [];
    await rewriteJson<ImageRecord>(store, key, (image) => {
      const next = structuredClone(image);
      const found = new Set<RedactedKind>();
      if (image.original.fileName) {
        const r = redactFileName(image.original.fileName, redact, image.id);
        next.original.fileName = r.text;
        r.removed.forEach((k) => found.add(k));
      }
      if (image.notes) {
        const r = redact(image.notes);
        next.notes = r.text;
        r.removed.forEach((k) => found.add(k));
      }
      kinds = [...found];
      return kinds.length ? next : undefined;
    });
    const image = (await store.getJson<ImageRecord>(key))?.value;
    if (kinds.length && image) result.redacted.push({ where: `image ${image.id}: file name and notes`, removed: kinds });
    if (!image?.original.key) return;
    const bytes = await store.getBytes(image.original.key);
    if (!bytes) return; // an upload that never arrived
    let stripped;
    try {
      stripped = stripMetadata(bytes, image.original.format);
    } catch {
      return; // not the format its record says: left as it is (it was never shown as an image either)
    }
    if (!stripped.removed.length) return;
    await store.put(image.original.key, stripped.bytes, { contentType: image.original.contentType, metadata: { sha256: image.original.sha256 } });
    result.metadata.push({ imageId: image.id, removed: stripped.removed });
  });

  const briefs = await listPatientAppointments(store, person.id, { includeMoved: true });
  await mapLimit(briefs, 4, async ({ id }) => {
    let kinds: RedactedKind[] = [];
    await rewriteJson<Appointment>(store, appointmentKey(id), (a) => {
      if (!a.notes) return undefined;
      const r = redact(a.notes);
      kinds = r.removed;
      return r.removed.length ? { ...a, notes: r.text } : undefined;
    });
    if (kinds.length) result.redacted.push({ where: `appointment ${id}: notes`, removed: kinds });
  });
  result.redacted.sort((a, b) => a.where.localeCompare(b.where));
  result.metadata.sort((a, b) => a.imageId.localeCompare(b.imageId));
  return result;
}

/** Reads, changes (undefined: nothing to change) and writes with If-Match, re-reading on a concurrent write. */
async function rewriteJson<T>(store: Store, key: string, change: (value: T) => T | undefined): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    const got = await store.getJson<T>(key);
    const next = got && change(got.value);
    if (!got || !next) return;
    try {
      await store.putJson(key, next, { ifMatch: got.etag });
      return;
    } catch (err) {
      if (!isClinicaError(err, 'conflict') || attempt >= 5) throw err;
    }
  }
}

/**
 * Deletes the non-current versions of every object of the patient an anonymization rewrites (the record, its
 * index shard, image records and originals, appointments, reminder records): on a versioned bucket they would
 * keep the identifiers. The current versions stay. Returns how many old versions were deleted.
 */
export async function eraseOldCopies(store: Store, patientId: string, reminderKeys: string[]): Promise<{ deleted: number; failed: string[] }> {
  const keys = [`patients/${patientId}.json`, shardKey(shardOf(patientId)), ...reminderKeys];
  for await (const o of store.list(`images/${patientId}/`)) if (/\/(image\.json|original\.[a-z]+)$/.test(o.key)) keys.push(o.key);
  for (const { id } of await listPatientAppointments(store, patientId, { includeMoved: true })) keys.push(appointmentKey(id));
  return store.deleteOldVersions(keys);
}


/**
 * The LGPD requests on one patient: access/portability (export), erasure that keeps the clinical record
 * (anonymize), and real deletion once the retention duty is over (purge). Each one is audited.
 */
import { createWriteStream } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { dirname, join, relative } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { ClinicaError, isClinicaError } from '../errors.js';
import type { Store } from '../store/store.js';
import { eraseOldCopies, redactPatientContent, redactPatientText, type ContentRedactions } from './anonymize-content.js';
import { appointmentKey } from './appointments.js';
import { audit, listAudit } from './audit.js';
import { recordErasure } from './erased.js';
import { deletePatientImages } from './images.js';
import { deletePatientAppointmentList, listPatientAppointments } from './patient-appointments.js';
import { notePatientsChanged } from './patient-changes.js';
import { updatePatientIndex } from './patient-index.js';
import { getPatient, patientKey, releaseCpf, writePatientChange } from './patients.js';
import { EMAIL_IN_TEXT } from './text.js';
import { mapLimit } from '../map-limit.js';
import type { Appointment, AuditEntry, Patient } from './types.js';
import { count } from '../plural.js';

export interface ExportedImage {
  key: string;
  imageId: string;
  size: number;
  lastModified?: string;
  /** a short-lived download link (without outDir) */
  url?: string;
  /** the downloaded file, relative to outDir (with outDir) */
  file?: string;
}

export interface PatientExport {
  format: 'clinica.patient-export/1';
  exportedAt: string;
  exportedBy: string;
  patient: Patient;
  appointments: Appointment[];
  reminders: { appointmentId: string; key: string; record: unknown }[];
  images: ExportedImage[];
  /** who did what with this record (actions and field names only) */
  audit: AuditEntry[];
  linksExpireAt?: string;
}

export interface ExportOptions {
  /** download the images into this folder instead of giving links */
  outDir?: string;
  /** link lifetime; default 900 s */
  linkSeconds?: number;
}

/** Everything the clinic holds on one patient, as one JSON document (and the image files with outDir). */
export async function exportPatient(store: Store, id: string, actor: string, options: ExportOptions = {}): Promise<PatientExport> {
  const { patient } = await getPatient(store, id);
  const briefs = await listPatientAppointments(store, patient.id, { includeMoved: true });
  const appointments = (await mapLimit(briefs, 8, async (b) => (await store.getJson<Appointment>(appointmentKey(b.id)))?.value)).filter(
    (a): a is Appointment => a !== undefined,
  );
  const reminders = await mapLimit(await reminderKeysOf(store, appointments.map((a) => a.id)), 8, async ({ appointmentId, key }) => ({
    appointmentId,
    key,
    record: key.endsWith('.json') ? (await store.getJson(key))?.value : undefined,
  }));
  const objects = [];
  for await (const o of store.list(`images/${patient.id}/`)) objects.push(o);
  const linkSeconds = options.linkSeconds ?? 900;
  const images = await mapLimit(objects, 4, async (o): Promise<ExportedImage> => {
    const image: ExportedImage = { key: o.key, imageId: o.key.split('/')[2] ?? '', size: o.size, lastModified: o.lastModified?.toISOString() };
    if (options.outDir) {
      const file = join(options.outDir, 'images', ...o.key.split('/').slice(2));
      await mkdir(dirname(file), { recursive: true });
      const body = await store.getStream(o.key);
      if (!body) throw new ClinicaError('internal', `image ${o.key} disappeared during the export`, { hint: 'run the export again' });
      await pipeline(body, createWriteStream(file));
      image.file = relative(options.outDir, file);
    } else {
      image.url = await store.presignGet(o.key, { expiresIn: linkSeconds, downloadName: o.key.split('/').slice(2).join('-') });
    }
    return image;
  });
  const trail = await listAudit(store, { patientId: patient.id });
  const now = new Date();
  const result: PatientExport = {
    format: 'clinica.patient-export/1',
    exportedAt: now.toISOString(),
    exportedBy: actor,
    patient,
    appointments,
    reminders,
    images,
    audit: trail,
  };
  if (!options.outDir && images.length) result.linksExpireAt = new Date(now.getTime() + linkSeconds * 1000).toISOString();
  await audit(store, { actor, action: 'patient.export', patientId: patient.id, details: { images: images.length, files: Boolean(options.outDir) } });
  return result;
}

/** What an anonymization did beyond the record's fields (for the person who ran it; values never listed). */
export interface AnonymizationReport {
  patient: Patient;
  /** where the person's name, CPF, phone or e-mail were found in free text and removed */
  redacted: ContentRedactions['redacted'];
  /** stored originals whose metadata (EXIF, XMP, PNG text…) was stripped */
  metadata: ContentRedactions['metadata'];
  /** non-current versions deleted (a versioned bucket: AWS); 0 where the bucket keeps none */
  oldVersionsDeleted: number;
}

/**
 * LGPD erasure within the retention duty: the identifiers (name, preferred name, CPF, birth date — the year is
 * kept —, phone, e-mail, address, guardian, e-mail consent) are removed; clinical content (alerts, notes,
 * appointments, images) is kept under the id, with the person's identifiers taken out of it (anonymize-content.ts:
 * notes, image file names, the originals' metadata). The CPF claim is released; keyed hashes of the CPF and of
 * name + birth date stay (erased.ts), so an import or an `add` does not bring the person back. The (masked)
 * address is taken out of the patient's reminder records, and old versions of every rewritten object are
 * deleted. Running it twice changes nothing.
 */
export async function anonymizePatient(store: Store, id: string, actor: string): Promise<Patient> {
  return (await anonymizePatientReported(store, id, actor)).patient;
}

export async function anonymizePatientReported(store: Store, id: string, actor: string): Promise<AnonymizationReport> {
  const { patient: before } = await getPatient(store, id);
  // the marks first: an anonymization interrupted after them leaves a patient who is still there, not one who
  // could come back through an import
  if (!before.anonymized) await recordErasure(store, before);
  // the content while the identifiers are known: a run stopped after this is finished by running it again
  const content: ContentRedactions = before.anonymized ? { redacted: [], metadata: [] } : await redactPatientContent(store, before);
  let erased: Patient | undefined;
  let ownText: ContentRedactions['redacted'] = [];
  const { patient, changed } = await writePatientChange(
    store,
    id,
    (current) => {
      if (current.anonymized) return { patient: current, changed: [] };
      erased = current;
      const now = new Date();
      const text = redactPatientText(current);
      ownText = text.redacted;
      const next: Patient = {
        id: current.id,
        fullName: `Paciente anonimizado ${current.id}`,
        alerts: text.alerts,
        status: current.status,
        consent: { emailReminders: false, recordedAt: now.toISOString(), recordedBy: actor },
        anonymized: {
          at: now.toISOString(),
          by: actor,
          ...(current.birthDate && { birthYear: Number(current.birthDate.slice(0, 4)) }),
          lastUpdatedAt: current.updatedAt,
        },
        createdAt: current.createdAt,
        updatedAt: now.toISOString(),
        version: current.version + 1,
      };
      if (current.sex) next.sex = current.sex;
      if (text.notes) next.notes = text.notes;
      if (current.language) next.language = current.language; // not an identifier: the language stays
      const changed = ['fullName', 'preferredName', 'cpf', 'birthDate', 'phone', 'email', 'address', 'guardian', 'consent', 'notes', 'alerts'].filter(
        (k) => JSON.stringify(current[k as keyof Patient]) !== JSON.stringify(next[k as keyof Patient]),
      );
      return { patient: next, changed: [...changed, 'anonymized'] };
    },
    actor,
    'patient.anonymize',
    { auditDetails: { textRedacted: content.redacted.length, originalsStripped: content.metadata.length } },
  );
  // identifiers changed by someone else between the read and the write are the ones erased: mark them too
  if (changed.length && erased && (erased.cpf !== before.cpf || erased.fullName !== before.fullName || erased.birthDate !== before.birthDate)) {
    await recordErasure(store, erased);
  }
  // every run, a re-run included, erases the reminders' addresses and the old versions: a run stopped before
  // this point is finished by the next
  const reminderKeys = await eraseReminderAddresses(store, patient.id);
  const versions = await eraseOldCopies(store, patient.id, reminderKeys);
  if (versions.failed.length) {
    throw new ClinicaError('partial', `patient ${patient.id} is anonymized, but ${count(versions.failed.length, 'old version')} of its objects could not be deleted (first: ${versions.failed[0]})`, {
      hint: `run \`clinica patients anonymize ${patient.id}\` again`,
    });
  }
  return { patient, redacted: [...ownText, ...content.redacted], metadata: content.metadata, oldVersionsDeleted: versions.deleted };
}

/** The reminder records of these appointments (reminders/{appointmentId}/…), as listed. */
async function reminderKeysOf(store: Store, appointmentIds: string[]): Promise<{ appointmentId: string; key: string }[]> {
  const lists = await mapLimit(appointmentIds, 8, async (appointmentId) => {
    const found: { appointmentId: string; key: string }[] = [];
    for await (const o of store.list(`reminders/${appointmentId}/`)) found.push({ appointmentId, key: o.key });
    return found;
  });
  return lists.flat();
}

/**
 * Takes the addresses out of a patient's reminder records (`to`, masked as "ca***@example.com", and any in a
 * failure's `error`): the records are kept with the appointments, and a masked address still identifies.
 * If-Match on each record, re-read on a concurrent change (a reminder run finishing its send).
 */
async function eraseReminderAddresses(store: Store, patientId: string): Promise<string[]> {
  const briefs = await listPatientAppointments(store, patientId, { includeMoved: true });
  const keys = (await reminderKeysOf(store, briefs.map((b) => b.id))).filter((r) => r.key.endsWith('.json'));
  await mapLimit(keys, 8, async ({ key }) => {
    for (let attempt = 0; attempt < 5; attempt++) {
      const got = await store.getJson<Record<string, unknown>>(key);
      if (!got) return;
      const { to, ...record } = got.value;
      if (typeof record.error === 'string') record.error = record.error.replace(EMAIL_IN_TEXT, '(address removed)');
      if (to === undefined && record.error === got.value.error) return;
      try {
        await store.putJson(key, record, { ifMatch: got.etag });
        return;
      } catch (err) {
        if (!isClinicaError(err, 'conflict')) throw err;
      }
    }
    throw new ClinicaError('conflict', `reminder record ${key} kept changing while its address was being removed`, { hint: `run \`clinica patients anonymize ${patientId}\` again` });
  });
  return keys.map((k) => k.key);
}

export interface PurgeOptions {
  /** config.patients.retentionYears */
  retentionYears: number;
  /** purge even inside the retention period */
  force?: boolean;
  now?: Date;
}

export interface PurgeResult {
  patientId: string;
  images: number;
  appointments: number;
  reminders: number;
}

export interface Retention {
  /** the record's last entry: what the retention period counts from */
  lastEntry: Date;
  /** lastEntry + retentionYears: no purge before (unless forced) */
  until: Date;
}

/**
 * How long the record must be kept. Lei 13.787/2018 (art. 6) counts at least 20 years from the record's LAST
 * entry, not from its creation: the latest of the record's own last change (for an anonymized record, the one
 * before the anonymization, which is no clinical entry; a record anonymized without that time counts from the
 * anonymization, the safe side),
 * an appointment (its start; cancelled and moved-away ones are no entry) and an image (when it was stored).
 * Reads the patient's appointment list (one GET) and lists images/{id}/ — nothing else.
 */
export async function retentionOf(store: Store, patient: Patient, retentionYears: number): Promise<Retention> {
  const times = [Date.parse(patient.anonymized?.lastUpdatedAt ?? patient.updatedAt), Date.parse(patient.createdAt)];
  for (const a of await listPatientAppointments(store, patient.id)) if (a.status !== 'cancelled') times.push(Date.parse(a.start));
  for await (const o of store.list(`images/${patient.id}/`)) if (o.lastModified) times.push(o.lastModified.getTime());
  const lastEntry = new Date(Math.max(...times.filter((t) => !Number.isNaN(t))));
  const until = new Date(lastEntry);
  until.setUTCFullYear(until.getUTCFullYear() + retentionYears);
  return { lastEntry, until };
}

/** A purge that was checked: the patient as read, the retention it was checked against, whether it was forced. */
export interface PurgePlan extends Retention {
  patient: Patient;
  /** inside the retention period, and --force said the duty no longer applies */
  forced: boolean;
}

/**
 * Checks a purge without deleting anything: refused inside the retention period (from the last entry:
 * retentionOf) unless forced. Reads the record, its appointment list and its image list.
 */
export async function planPurge(store: Store, id: string, options: PurgeOptions): Promise<PurgePlan> {
  const { patient } = await getPatient(store, id);
  const now = options.now ?? new Date();
  const { lastEntry, until } = await retentionOf(store, patient, options.retentionYears);
  if (until > now && !options.force) {
    throw new ClinicaError(
      'forbidden',
      `patient ${patient.id}: the clinical record must be kept until ${until.toISOString().slice(0, 10)} (last entry ${lastEntry.toISOString().slice(0, 10)}, retention ${options.retentionYears} years — Lei 13.787/2018); nothing was deleted`,
      { field: 'id', hint: `anonymize it instead (\`clinica patients anonymize ${patient.id}\`), or pass --force if the retention duty no longer applies` },
    );
  }
  return { patient, lastEntry, until, forced: until > now };
}

/**
 * Deletes the record, its images, appointments and reminders, the CPF claim and the index row, after
 * `planPurge` on the record as it is now (so a purge confirmed a while ago is checked again). The audit entries
 * stay (ids and field names only). Safe to re-run after an interruption: the record goes last.
 */
export async function purgePatient(store: Store, id: string, actor: string, options: PurgeOptions): Promise<PurgeResult> {
  const { patient, forced } = await planPurge(store, id, options);
  const appointments = await listPatientAppointments(store, patient.id, { includeMoved: true });
  const reminderKeys = (await reminderKeysOf(store, appointments.map((a) => a.id))).map((r) => r.key);
  // images with their dedupe claims and id pointers (deletePatientImages owns that layout)
  const images = await deletePatientImages(store, patient.id);
  const failed = [...images.failed, ...(await store.deleteMany([...reminderKeys, ...appointments.map((a) => appointmentKey(a.id))]))];
  if (failed.length) {
    throw new ClinicaError('partial', `patient ${patient.id}: ${count(failed.length, 'object')} could not be deleted (first: ${failed[0]}); the record is kept`, {
      hint: 'run the purge again',
    });
  }
  await deletePatientAppointmentList(store, patient.id);
  if (patient.cpf) await releaseCpf(store, patient.cpf, patient.id);
  await updatePatientIndex(store, [{ id: patient.id, apply: () => undefined }]);
  await store.delete(patientKey(patient.id));
  await notePatientsChanged(store, [patient.id]);
  const result = { patientId: patient.id, images: images.images, appointments: appointments.length, reminders: reminderKeys.length };
  await audit(store, {
    actor,
    action: 'patient.purge',
    patientId: patient.id,
    details: { images: result.images, appointments: result.appointments, reminders: result.reminders, forced },
  });
  return result;
}


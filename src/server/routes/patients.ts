/** Patients: list/search (from the index, CPF masked), read (audited), create, update (If-Match), archive. */
import { appointmentsOutcome, archivePatientLeavingCare, updatePatientLeavingCare, type FutureAppointmentsChoice } from '../../clinic/patient-status.js';
import { createPatientVersioned, maskCpf, openPatientRecord } from '../../clinic/patients.js';
import { patientStatuses, sexes, type Guardian, type PatientChanges, type PatientInput, type PatientStatus, type PatientSummary } from '../../clinic/types.js';
import { locales } from '../../config/schema.js';
import { usageError } from '../../errors.js';
import { HttpError, JsonText } from '../http.js';
import type { PatientListResponse, PatientResponse, PatientWriteResponse } from '../../web/api-types.js';
import type { Route } from '../router.js';
import type { ApiDeps } from './index.js';
import { bool, obj, onlyFields, str, strList, type Body } from './input.js';

const FIELDS = ['fullName', 'preferredName', 'cpf', 'birthDate', 'sex', 'phone', 'email', 'address', 'guardian', 'alerts', 'notes', 'status', 'emailReminders', 'language', 'whatsappReminders'] as const;
/** A create's own field: add even so (a namesake born the same day, a person anonymized at their request returning) — the CLI's --force. */
const CREATE_FIELDS = [...FIELDS, 'force'] as const;
/** An update's own fields: one alert in or out, the others kept (`alerts` replaces the whole list). */
const UPDATE_FIELDS = [...FIELDS, 'addAlerts', 'removeAlerts', 'cancelAppointments', 'keepAppointments'] as const;
/** A patient leaving care (archived, inactive, deceased) with future appointments: 409 `future-appointments` until one says what to do. */
const APPOINTMENT_CHOICES = ['cancelAppointments', 'keepAppointments'] as const;

function appointmentsChoice(body: Body): FutureAppointmentsChoice | undefined {
  const cancel = bool(body, 'cancelAppointments');
  const keep = bool(body, 'keepAppointments');
  if (cancel && keep) throw usageError('send "cancelAppointments" or "keepAppointments", not both', { field: 'cancelAppointments' });
  return cancel ? 'cancel' : keep ? 'keep' : undefined;
}

function oneOf<T extends string>(value: string | null | undefined, allowed: readonly T[], field: string): T | null | undefined {
  if (value === undefined || value === null) return value;
  if (!(allowed as readonly string[]).includes(value)) throw usageError(`${field} "${value}": expected one of ${allowed.join(', ')}`, { field, reason: 'not-one-of', params: { allowed: allowed.join(', ') } });
  return value as T;
}

/**
 * The guardian as sent: errors name `guardian.<field>` as the CLI's do. A guardian with no field filled is no
 * guardian (null: cleared on update); a name is required once any other field is given.
 */
function guardianOf(body: Body): Guardian | null | undefined {
  const g = obj(body, 'guardian');
  if (g === undefined || g === null) return g;
  const named: Body = Object.fromEntries(Object.entries(g).map(([k, v]) => [`guardian.${k}`, v]));
  onlyFields(named, ['guardian.name', 'guardian.phone', 'guardian.cpf', 'guardian.relationship']);
  const field = (k: string) => str(named, `guardian.${k}`, { max: 200 })?.trim() || undefined;
  const [name, phone, cpf, relationship] = [field('name'), field('phone'), field('cpf'), field('relationship')];
  if (!name) {
    if (phone || cpf || relationship) throw usageError('guardian.name: required when other guardian fields are given', { field: 'guardian.name', reason: 'required' });
    return null;
  }
  return { name, ...(phone ? { phone } : {}), ...(cpf ? { cpf } : {}), ...(relationship ? { relationship } : {}) };
}

/** The record's fields of a body (whose other fields `allowed` names), typed; `null` clears an optional field on update. */
function readFields(body: Body, allowed: readonly string[]) {
  onlyFields(body, allowed);
  const s = (k: (typeof FIELDS)[number], max = 500) => str(body, k, { nullable: true, max });
  return {
    fullName: str(body, 'fullName', { max: 200 }) as string | undefined,
    preferredName: s('preferredName', 200),
    cpf: s('cpf', 20),
    birthDate: str(body, 'birthDate', { max: 10 }) as string | undefined,
    sex: oneOf(s('sex', 20), sexes, 'sex'),
    phone: s('phone', 40),
    email: s('email', 200),
    address: s('address', 300),
    guardian: guardianOf(body),
    alerts: strList(body, 'alerts', { maxItems: 50 }),
    notes: s('notes', 5000),
    status: oneOf(s('status', 20), patientStatuses, 'status'),
    emailReminders: bool(body, 'emailReminders'),
    language: oneOf(s('language', 10), locales, 'language'),
    whatsappReminders: bool(body, 'whatsappReminders'),
  };
}

const defined = <T extends object>(o: T): Partial<T> => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;

/** What lists show: CPF masked. */
export function listRow(s: PatientSummary): PatientSummary {
  return s.cpf ? { ...s, cpf: maskCpf(s.cpf) } : s;
}

/** Serialized pages of a cached list (the same array object while the directory keeps it). */
const pages = new WeakMap<PatientSummary[], Map<string, JsonText>>();

function listPage(all: PatientSummary[], offset: number, limit: number): JsonText {
  let cached = pages.get(all);
  if (!cached) pages.set(all, (cached = new Map()));
  const key = `${offset}:${limit}`;
  let page = cached.get(key);
  if (!page) {
    page = new JsonText(JSON.stringify({ total: all.length, offset, limit, patients: all.slice(offset, offset + limit).map(listRow) } satisfies PatientListResponse));
    if (cached.size < 50) cached.set(key, page);
  }
  return page;
}

export function patientRoutes(deps: ApiDeps): Route[] {
  const { store } = deps;
  return [
    {
      method: 'GET',
      path: '/api/patients',
      permission: 'patients',
      handler: async ({ query }) => {
        const search = query.get('search') ?? undefined;
        if (search && search.length > 100) throw usageError('search: at most 100 characters', { field: 'search' });
        const status = oneOf(query.get('status') || undefined, [...patientStatuses, 'all'] as const, 'status') ?? undefined;
        const limit = Math.min(Math.max(Number(query.get('limit') ?? 50) || 50, 1), 500);
        const offset = Math.max(Number(query.get('offset') ?? 0) || 0, 0);
        const all = await deps.patients.list({ search: search?.trim() || undefined, status: status as PatientStatus | 'all' | undefined });
        return { body: listPage(all, offset, limit) };
      },
    },
    {
      method: 'POST',
      path: '/api/patients',
      permission: 'patients',
      idempotent: true,
      handler: async (ctx) => {
        const body = await ctx.body();
        const f = readFields(body, CREATE_FIELDS);
        if (f.fullName === undefined) throw usageError('expected "fullName"', { field: 'fullName', reason: 'required' });
        if (f.birthDate === undefined) throw usageError('expected "birthDate" (YYYY-MM-DD)', { field: 'birthDate', reason: 'required' });
        const input = defined({ ...f, guardian: f.guardian ?? undefined }) as PatientInput;
        for (const [k, v] of Object.entries(input)) if (v === null) delete (input as unknown as Record<string, unknown>)[k];
        // the CLI's rules: the same name + birth date as a stored patient (one of them without a CPF) and a person
        // anonymized at their request are refused (409) until the client says this is a new person
        const { patient, etag } = await createPatientVersioned(store, input, ctx.actor, { refuseDuplicate: true, force: bool(body, 'force') });
        deps.patients.changed();
        return { status: 201, body: { patient, etag } satisfies PatientWriteResponse, headers: { location: `/api/patients/${encodeURIComponent(patient.id)}`, etag } };
      },
    },
    {
      method: 'GET',
      path: '/api/patients/:id',
      permission: 'patients',
      // the full record and its appointments, kept in memory between openings (patient-records.ts): an audited
      // read (patient.read, by staff:<id>); the page lists the images itself (GET …/images) when it shows them
      handler: async ({ params, actor }) => {
        const view = await openPatientRecord(store, params.id!, actor, (id) => deps.records.read(id));
        return { status: 200, body: view satisfies PatientResponse, headers: { etag: view.etag } };
      },
    },
    {
      method: 'PATCH',
      path: '/api/patients/:id',
      permission: 'patients',
      handler: async (ctx) => {
        // a change is made to the version the person saw: without its ETag a colleague's edit could be overwritten
        const ifMatch = ctx.req.headers['if-match']?.trim();
        if (!ifMatch) {
          throw new HttpError(428, 'precondition-required', 'send If-Match with the ETag of the record you read (GET /api/patients/:id), so a change made meanwhile is not overwritten', {
            reason: 'if-match-required',
            field: 'If-Match',
          });
        }
        const body = await ctx.body();
        const changes = defined({
          ...readFields(body, UPDATE_FIELDS),
          addAlerts: strList(body, 'addAlerts', { maxItems: 50 }),
          removeAlerts: strList(body, 'removeAlerts', { maxItems: 50 }),
        }) as PatientChanges;
        if (!Object.keys(changes).length) throw usageError('nothing to change: send at least one field', { field: 'body' });
        const result = await updatePatientLeavingCare(store, ctx.params.id!, changes, ctx.actor, {
          etag: ifMatch,
          timeZone: deps.config.clinic.timeZone,
          now: deps.now(),
          appointments: appointmentsChoice(body),
        });
        deps.patients.changed();
        const { patient, etag } = result;
        return { status: 200, body: { patient, etag, ...appointmentsOutcome(result) } satisfies PatientWriteResponse, headers: { etag } };
      },
    },
    {
      method: 'POST',
      path: '/api/patients/:id/archive',
      permission: 'patients',
      handler: async (ctx) => {
        const body = await ctx.body();
        onlyFields(body, APPOINTMENT_CHOICES);
        const result = await archivePatientLeavingCare(store, ctx.params.id!, ctx.actor, {
          timeZone: deps.config.clinic.timeZone,
          now: deps.now(),
          appointments: appointmentsChoice(body),
        });
        deps.patients.changed();
        return { patient: result.patient, ...appointmentsOutcome(result) };
      },
    },
  ];
}

/** The agenda: a day or a range, book, move, cancel, confirm, done / no-show — through src/clinic/appointments. */
import {
  cancelAppointment,
  confirmAppointment,
  createAppointment,
  getAppointment,
  listAppointments,
  moveAppointment,
  setAppointmentStatus,
} from '../../clinic/appointments.js';
import type { Appointment, AppointmentStatus } from '../../clinic/types.js';
import { usageError } from '../../errors.js';
import type { RequestContext, Route } from '../router.js';
import type { ApiDeps } from './index.js';
import { bool, clinicToday, dateParam, daysBetween, int, onlyFields, requiredStr, str } from './input.js';

/** The longest range one agenda request may read. */
export const MAX_AGENDA_DAYS = 62;

export function appointmentRoutes(deps: ApiDeps): Route[] {
  const { store, config } = deps;
  const timeZone = config.clinic.timeZone;
  const schedule = (force?: boolean) => ({ timeZone, now: deps.now(), ...(force ? { force } : {}) });

  /** Adds the patient's name to each appointment (from the cached index), for the agenda. */
  async function withNames(list: Appointment[]) {
    const names = await deps.patients.names();
    return list.map((a) => ({ ...a, patientName: names.get(a.patientId) }));
  }

  /** done / no-show: what happened at an appointment (clinic code refuses it before the appointment begins). */
  async function attended(ctx: RequestContext, status: Extract<AppointmentStatus, 'done' | 'no-show'>) {
    const appointment = await setAppointmentStatus(store, ctx.params.id!, status, ctx.actor, { now: deps.now() });
    deps.patients.changed();
    return { appointment };
  }

  return [
    {
      method: 'GET',
      path: '/api/appointments',
      permission: 'appointments',
      handler: async ({ query }) => {
        const date = dateParam(query, 'date');
        let from = dateParam(query, 'from') ?? date;
        let to = dateParam(query, 'to') ?? date;
        if (date && (query.get('from') || query.get('to'))) throw usageError('give either date or from/to, not both', { field: 'date' });
        if (!from && !to) from = to = clinicToday(timeZone, deps.now());
        from ??= to;
        to ??= from;
        if (daysBetween(from!, to!) < 0) throw usageError(`to (${to}) is before from (${from})`, { field: 'to' });
        if (daysBetween(from!, to!) >= MAX_AGENDA_DAYS) throw usageError(`at most ${MAX_AGENDA_DAYS} days at once`, { field: 'to' });
        const dentist = query.get('dentist') || undefined;
        const patientId = query.get('patient') || undefined;
        let list = await listAppointments(store, { from: from!, to: to!, ...(dentist ? { dentist } : {}) }, timeZone);
        if (patientId) list = list.filter((a) => a.patientId === patientId);
        return { from, to, timeZone, appointments: await withNames(list) };
      },
    },
    {
      method: 'POST',
      path: '/api/appointments',
      permission: 'appointments',
      idempotent: true,
      handler: async (ctx) => {
        const body = await ctx.body();
        onlyFields(body, ['patientId', 'dentist', 'at', 'durationMinutes', 'procedure', 'notes', 'force']);
        const procedure = str(body, 'procedure', { max: 200 }) ?? undefined;
        const notes = str(body, 'notes', { max: 2000 }) ?? undefined;
        const appointment = await createAppointment(
          store,
          {
            patientId: requiredStr(body, 'patientId', 40),
            dentist: requiredStr(body, 'dentist', 100),
            at: requiredStr(body, 'at', 40),
            durationMinutes: int(body, 'durationMinutes', { required: true, min: 5, max: 12 * 60 })!,
            ...(procedure ? { procedure } : {}),
            ...(notes ? { notes } : {}),
          },
          ctx.actor,
          schedule(bool(body, 'force')),
        );
        deps.patients.changed();
        return { status: 201, body: { appointment }, headers: { location: `/api/appointments/${encodeURIComponent(appointment.id)}` } };
      },
    },
    {
      method: 'GET',
      path: '/api/appointments/:id',
      permission: 'appointments',
      handler: async ({ params }) => {
        const { appointment, etag } = await getAppointment(store, params.id!);
        return { status: 200, body: { appointment, etag }, headers: { etag } };
      },
    },
    {
      method: 'POST',
      path: '/api/appointments/:id/move',
      permission: 'appointments',
      handler: async (ctx) => {
        const body = await ctx.body();
        onlyFields(body, ['at', 'force']);
        const appointment = await moveAppointment(store, ctx.params.id!, requiredStr(body, 'at', 40), ctx.actor, schedule(bool(body, 'force')));
        deps.patients.changed();
        return { appointment };
      },
    },
    {
      method: 'POST',
      path: '/api/appointments/:id/cancel',
      permission: 'appointments',
      handler: async (ctx) => {
        const body = await ctx.body();
        onlyFields(body, ['reason']);
        const reason = str(body, 'reason', { max: 500 }) ?? undefined;
        const appointment = await cancelAppointment(store, ctx.params.id!, ctx.actor, reason ? { reason } : {});
        deps.patients.changed();
        return { appointment };
      },
    },
    {
      method: 'POST',
      path: '/api/appointments/:id/confirm',
      permission: 'appointments',
      handler: async (ctx) => {
        const appointment = await confirmAppointment(store, ctx.params.id!, ctx.actor);
        deps.patients.changed();
        return { appointment };
      },
    },
    { method: 'POST', path: '/api/appointments/:id/done', permission: 'appointments', handler: (ctx) => attended(ctx, 'done') },
    { method: 'POST', path: '/api/appointments/:id/no-show', permission: 'appointments', handler: (ctx) => attended(ctx, 'no-show') },
  ];
}

/** The agenda: a day or a range, book, move, cancel, confirm, arrived / done / no-show — through src/clinic/appointments. */
import {
  cancelAppointment,
  confirmAppointment,
  createAppointment,
  getAppointment,
  listAppointments,
  moveAppointment,
  setAppointmentStatus,
} from '../../clinic/appointments.js';
import { agendaCalendar } from '../../clinic/agenda-calendar.js';
import { canForce } from '../../clinic/agenda-rules.js';
import { notifyChange, type NoticeOutcome } from '../../clinic/change-notices.js';
import { freeSlots } from '../../clinic/free-slots.js';
import type { Appointment, AppointmentStatus } from '../../clinic/types.js';
import { whatsAppDeliveries } from '../../clinic/whatsapp-replies.js';
import { usageError } from '../../errors.js';
import type { AgendaResponse, AppointmentResponse } from '../../web/api-types.js';
import type { RequestContext, Route } from '../router.js';
import type { ApiDeps } from './index.js';
import { bool, clinicToday, dateParam, daysBetween, int, onlyFields, requiredStr, str } from './input.js';

/** The longest range one agenda request may read. */
export const MAX_AGENDA_DAYS = 62;

export function appointmentRoutes(deps: ApiDeps): Route[] {
  const { store, config } = deps;
  const timeZone = config.clinic.timeZone;
  const calendar = agendaCalendar(config);
  /** The rules' settings for one request: an encaixe (force) only for the roles allowed to. */
  const schedule = (ctx: RequestContext, force?: boolean) => ({
    timeZone,
    calendar,
    now: deps.now(),
    ...(force ? { force, forceAllowed: canForce(ctx.staff?.role ?? '') } : {}),
  });

  /** from/to (or date) of an agenda request, defaulting to today, at most MAX_AGENDA_DAYS. */
  function range(query: URLSearchParams): { from: string; to: string } {
    const date = dateParam(query, 'date');
    let from = dateParam(query, 'from') ?? date;
    let to = dateParam(query, 'to') ?? date;
    if (date && (query.get('from') || query.get('to'))) throw usageError('give either date or from/to, not both', { field: 'date' });
    if (!from && !to) from = to = clinicToday(timeZone, deps.now());
    from ??= to;
    to ??= from;
    if (daysBetween(from!, to!) < 0) throw usageError(`to (${to}) is before from (${from})`, { field: 'to' });
    if (daysBetween(from!, to!) >= MAX_AGENDA_DAYS) throw usageError(`at most ${MAX_AGENDA_DAYS} days at once`, { field: 'to' });
    return { from: from!, to: to! };
  }

  /** Adds the patient's name and phone to each appointment (from the cached index), for the agenda and its printout. */
  /** Each appointment with its patient's name and phone, and how far its WhatsApp reminder got (if it has one). */
  async function withNames(list: Appointment[]) {
    const [contacts, whatsapp] = await Promise.all([deps.patients.contacts(), whatsAppDeliveries(store, list)]);
    return list.map((a) => ({ ...a, patientName: contacts.get(a.patientId)?.name, patientPhone: contacts.get(a.patientId)?.phone, whatsapp: whatsapp.get(a.id) }));
  }

  /** The patient's notice of a cancel or a move (`notify: false` in the body: none), as the answer's `notice`. */
  async function notice(ctx: RequestContext, kind: 'cancel' | 'move', before: Appointment, after: Appointment, notify: boolean | undefined): Promise<NoticeOutcome> {
    if (notify === false) return { status: 'skipped', reason: 'not-requested' };
    if (!deps.openSender) return { status: 'skipped', reason: 'no-sender' };
    const outcome = await notifyChange({ store, config, kind, before, after, openSender: deps.openSender, actor: ctx.actor, now: deps.now() });
    if (outcome.status === 'failed') ctx.log.warn(`change notice for ${after.id} failed: ${outcome.error}`);
    return outcome;
  }

  /**
   * arrived / done / no-show: the patient came, was seen, did not come (clinic code refuses arrived before the
   * appointment's day, done and no-show before it begins).
   */
  async function attended(ctx: RequestContext, status: Extract<AppointmentStatus, 'arrived' | 'done' | 'no-show'>) {
    const appointment = await setAppointmentStatus(store, ctx.params.id!, status, ctx.actor, { now: deps.now() });
    deps.patients.changed();
    return { appointment } satisfies AppointmentResponse;
  }

  return [
    {
      method: 'GET',
      path: '/api/appointments',
      permission: 'appointments',
      handler: async ({ query }) => {
        const { from, to } = range(query);
        const dentist = query.get('dentist') || undefined;
        const patientId = query.get('patient') || undefined;
        let list = await listAppointments(store, { from, to, ...(dentist ? { dentist } : {}) }, timeZone);
        if (patientId) list = list.filter((a) => a.patientId === patientId);
        return { from: from!, to: to!, timeZone, appointments: await withNames(list) } satisfies AgendaResponse;
      },
    },
    {
      // before /api/appointments/:id, which would take "free" for an id
      method: 'GET',
      path: '/api/appointments/free',
      permission: 'appointments',
      handler: async ({ query }) => {
        const { from, to } = range(query);
        const durationMinutes = query.has('duration') ? Number(query.get('duration')) : 30;
        const limit = query.has('limit') ? Number(query.get('limit')) : 100;
        if (!Number.isInteger(limit) || limit < 1 || limit > 5000) throw usageError('limit: a whole number from 1 to 5000', { field: 'limit' });
        const dentist = query.get('dentist') || undefined;
        const slots = await freeSlots(store, { from, to, durationMinutes, limit, now: deps.now(), ...(dentist ? { dentist } : {}) }, calendar);
        return { from, to, timeZone, durationMinutes, slots: slots.map(({ dentistId, start, end }) => ({ dentistId, start, end })) };
      },
    },
    {
      method: 'POST',
      path: '/api/appointments',
      permission: 'appointments',
      idempotent: true,
      handler: async (ctx) => {
        const body = await ctx.body();
        onlyFields(body, ['patientId', 'dentist', 'chair', 'at', 'durationMinutes', 'procedure', 'notes', 'force']);
        const chair = str(body, 'chair', { max: 100 }) ?? undefined;
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
            ...(chair ? { chair } : {}),
          },
          ctx.actor,
          schedule(ctx, bool(body, 'force')),
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
        onlyFields(body, ['at', 'force', 'notify']);
        const { appointment: before } = await getAppointment(store, ctx.params.id!);
        const appointment = await moveAppointment(store, ctx.params.id!, requiredStr(body, 'at', 40), ctx.actor, schedule(ctx, bool(body, 'force')));
        deps.patients.changed();
        if (appointment.start === before.start) return { appointment };
        return { appointment, notice: await notice(ctx, 'move', before, appointment, bool(body, 'notify')) };
      },
    },
    {
      method: 'POST',
      path: '/api/appointments/:id/cancel',
      permission: 'appointments',
      handler: async (ctx) => {
        const body = await ctx.body();
        onlyFields(body, ['reason', 'notify']);
        const reason = str(body, 'reason', { max: 500 }) ?? undefined;
        const { appointment: before } = await getAppointment(store, ctx.params.id!);
        const appointment = await cancelAppointment(store, ctx.params.id!, ctx.actor, reason ? { reason } : {});
        deps.patients.changed();
        if (before.status === 'cancelled') return { appointment };
        return { appointment, notice: await notice(ctx, 'cancel', before, appointment, bool(body, 'notify')) };
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
    { method: 'POST', path: '/api/appointments/:id/arrived', permission: 'appointments', handler: (ctx) => attended(ctx, 'arrived') },
  ];
}

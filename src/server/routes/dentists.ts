/**
 * The agenda's dentists and chairs: anyone with the agenda reads them; changes are the admin's ('staff').
 *   GET  /api/dentists[?all=1]        POST /api/dentists        GET/PATCH /api/dentists/:id
 *   POST /api/dentists/:id/deactivate
 *   GET  /api/chairs                  POST /api/chairs          POST /api/chairs/:id/deactivate
 */
import { addChair, addDentist, getDentist, listChairs, listDentists, parseHours, setChairActive, updateDentist, type DentistChanges } from '../../clinic/dentists.js';
import type { Opening } from '../../config/site.js';
import { usageError } from '../../errors.js';
import type { Route } from '../router.js';
import type { ApiDeps } from './index.js';
import { bool, onlyFields, requiredStr, str } from './input.js';

const FIELDS = ['name', 'cro', 'specialty', 'color', 'hours', 'staffId'] as const;

/**
 * hours: an array of { days, open, close } (validated by the clinic code), or the CLI's text ("mon-fri
 * 08:00-12:00; sat 08:00-12:00", as the page's form sends it); null or "" for the clinic's.
 */
function hoursOf(body: Record<string, unknown>): Opening[] | null | undefined {
  const v = body.hours;
  if (v === undefined || v === null) return v;
  if (typeof v === 'string') return v.trim() ? parseHours(v) : null;
  if (!Array.isArray(v)) throw usageError('hours: expected a list of { "days": ["mon", …], "open": "08:00", "close": "18:00" }', { field: 'hours', reason: 'hours-format' });
  return v as Opening[];
}

export function dentistRoutes(deps: ApiDeps): Route[] {
  const { store } = deps;
  return [
    {
      method: 'GET',
      path: '/api/dentists',
      permission: 'appointments',
      handler: async ({ query }) => {
        const all = await listDentists(store);
        return { dentists: query.get('all') === '1' ? all : all.filter((d) => d.active) };
      },
    },
    {
      method: 'POST',
      path: '/api/dentists',
      permission: 'staff',
      idempotent: true,
      handler: async (ctx) => {
        const body = await ctx.body();
        onlyFields(body, FIELDS);
        const optional = (f: string, max: number) => str(body, f, { max }) ?? undefined;
        const hours = hoursOf(body);
        const dentist = await addDentist(
          store,
          { name: requiredStr(body, 'name', 100), cro: optional('cro', 40), specialty: optional('specialty', 80), color: optional('color', 7), staffId: optional('staffId', 60), ...(hours ? { hours } : {}) },
          ctx.actor,
          { now: deps.now() },
        );
        return { status: 201, body: { dentist }, headers: { location: `/api/dentists/${encodeURIComponent(dentist.id)}` } };
      },
    },
    {
      method: 'GET',
      path: '/api/dentists/:id',
      permission: 'appointments',
      handler: async ({ params }) => ({ dentist: (await getDentist(store, params.id!)).dentist }),
    },
    {
      method: 'PATCH',
      path: '/api/dentists/:id',
      permission: 'staff',
      handler: async (ctx) => {
        const body = await ctx.body();
        onlyFields(body, [...FIELDS, 'active']);
        const changes: DentistChanges = {};
        const name = str(body, 'name', { max: 100 });
        if (name) changes.name = name;
        for (const [f, max] of [['cro', 40], ['specialty', 80], ['color', 7], ['staffId', 60]] as const) {
          const v = str(body, f, { nullable: true, max });
          if (v !== undefined) changes[f] = v;
        }
        const hours = hoursOf(body);
        if (hours !== undefined) changes.hours = hours;
        const active = bool(body, 'active');
        if (active !== undefined) changes.active = active;
        return { dentist: await updateDentist(store, ctx.params.id!, changes, ctx.actor, deps.now()) };
      },
    },
    {
      method: 'POST',
      path: '/api/dentists/:id/deactivate',
      permission: 'staff',
      handler: async (ctx) => ({ dentist: await updateDentist(store, ctx.params.id!, { active: false }, ctx.actor, deps.now()) }),
    },
    { method: 'GET', path: '/api/chairs', permission: 'appointments', handler: async () => ({ chairs: await listChairs(store) }) },
    {
      method: 'POST',
      path: '/api/chairs',
      permission: 'staff',
      idempotent: true,
      handler: async (ctx) => {
        const body = await ctx.body();
        onlyFields(body, ['name']);
        return { status: 201, body: { chair: await addChair(store, requiredStr(body, 'name', 100), ctx.actor, deps.now()) } };
      },
    },
    {
      method: 'POST',
      path: '/api/chairs/:id/deactivate',
      permission: 'staff',
      handler: async (ctx) => ({ chair: await setChairActive(store, ctx.params.id!, false, ctx.actor, deps.now()) }),
    },
  ];
}

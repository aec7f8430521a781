/**
 * "Equipe" (admin): the team — list, invite, change role or e-mail, reset, revoke, end sessions — and the API
 * tokens for scripts (shapes in src/web/api-types.ts). Changes made here reach this server's caches at once.
 */
import { createApiToken, listApiTokens, revokeApiToken } from '../../clinic/api-tokens.js';
import { endStaffSessions, openSessions } from '../../clinic/sessions.js';
import { audit } from '../../clinic/audit.js';
import { addStaff, editStaff, getStaff, invitationUrl, listStaffRecords, publicStaff, resetStaff, revokeStaff, type Invitation, type StaffMember } from '../../clinic/staff.js';
import { mapLimit } from '../../map-limit.js';
import { oneLine, usageError } from '../../errors.js';
import type { CreatedTokenReply, InviteReply, StaffReply, TeamReply, TokensReply, RevokedTokenReply, EndedSessionsReply } from '../../web/api-types.js';
import { requestOrigin } from '../csrf.js';
import type { RequestContext, Route } from '../router.js';
import type { ApiDeps } from './index.js';
import { int, onlyFields, requiredStr, str } from './input.js';

export function teamRoutes(deps: ApiDeps): Route[] {
  /** The invitation for the answer, e-mailed first when the server can send mail (a failure is logged, not fatal). */
  const invitationReply = async (ctx: RequestContext, staff: StaffMember, invitation: Invitation): Promise<InviteReply['invitation']> => {
    const url = invitationUrl(deps.config.auth.pageUrl ?? requestOrigin(ctx.req), invitation.token);
    let emailed = false;
    if (deps.sendInvitation && staff.email) {
      try {
        await deps.sendInvitation({ to: staff.email, name: staff.name, url, expiresAt: invitation.expiresAt });
        emailed = true;
      } catch (err) {
        ctx.log.warn('invitation e-mail not sent', { requestId: ctx.requestId, staff: staff.id, error: oneLine(err) });
      }
    }
    return { id: invitation.id, invitationUrl: url, expiresAt: invitation.expiresAt, emailed };
  };
  const notSelf = (ctx: RequestContext, what: string) => {
    if (ctx.params.id === ctx.staff!.id) throw usageError(`you cannot ${what} your own account`, { field: 'id', reason: 'self', hint: 'ask another admin' });
  };
  return [
    {
      method: 'GET',
      path: '/api/staff',
      permission: 'staff',
      handler: async (): Promise<TeamReply> => {
        const records = await listStaffRecords(deps.store);
        const staff = await mapLimit(records, 8, async (r) => ({ ...publicStaff(r), openSessions: (await openSessions(deps.store, r, deps.now(), deps.auth.idleMs)).length }));
        return { staff };
      },
    },
    {
      method: 'POST',
      path: '/api/staff',
      permission: 'staff',
      idempotent: true,
      handler: async (ctx) => {
        const body = await ctx.body();
        onlyFields(body, ['name', 'role', 'email']);
        const email = str(body, 'email', { max: 254 }) ?? undefined;
        const created = await addStaff(deps.store, { name: requiredStr(body, 'name', 100), role: requiredStr(body, 'role', 20), ...(email ? { email } : {}) }, ctx.actor, deps.now(), { ip: ctx.ip });
        const reply = created.invitation ? ({ staff: created.staff, invitation: await invitationReply(ctx, created.staff, created.invitation) } satisfies InviteReply) : created;
        return { status: 201, body: reply };
      },
    },
    {
      method: 'PATCH',
      path: '/api/staff/:id',
      permission: 'staff',
      handler: async (ctx) => {
        const body = await ctx.body();
        onlyFields(body, ['role', 'email']);
        const role = str(body, 'role', { max: 20 }) ?? undefined;
        if (role && role !== 'admin') notSelf(ctx, 'change the role of');
        const staff = await editStaff(deps.store, ctx.params.id!, { ...(role ? { role } : {}), ...(str(body, 'email', { max: 254 }) ? { email: body.email as string } : {}) }, ctx.actor, deps.now(), { ip: ctx.ip });
        deps.auth.forget(staff.id);
        return { staff } satisfies StaffReply;
      },
    },
    {
      method: 'POST',
      path: '/api/staff/:id/reset',
      permission: 'staff',
      handler: async (ctx) => {
        notSelf(ctx, 'reset');
        const { staff, invitation } = await resetStaff(deps.store, ctx.params.id!, ctx.actor, deps.now(), { ip: ctx.ip });
        deps.auth.forget(staff.id);
        return { staff, invitation: await invitationReply(ctx, staff, invitation) } satisfies InviteReply;
      },
    },
    {
      method: 'POST',
      path: '/api/staff/:id/revoke',
      permission: 'staff',
      handler: async (ctx) => {
        notSelf(ctx, 'revoke');
        const staff = await revokeStaff(deps.store, ctx.params.id!, ctx.actor, deps.now(), { ip: ctx.ip });
        deps.auth.forget(staff.id);
        return { staff } satisfies StaffReply;
      },
    },
    {
      method: 'POST',
      path: '/api/staff/:id/end-sessions',
      permission: 'staff',
      handler: async (ctx) => {
        await getStaff(deps.store, ctx.params.id!);
        const ended = await endStaffSessions(deps.store, ctx.params.id!);
        deps.auth.forget(ctx.params.id!);
        await audit(deps.store, { actor: ctx.actor, action: 'staff.end-sessions', details: { staffId: ctx.params.id!, ended, ip: ctx.ip } }, deps.now());
        return { ended } satisfies EndedSessionsReply;
      },
    },
    { method: 'GET', path: '/api/tokens', permission: 'staff', handler: async () => ({ tokens: await listApiTokens(deps.store) }) satisfies TokensReply },
    {
      method: 'POST',
      path: '/api/tokens',
      permission: 'staff',
      idempotent: true,
      handler: async (ctx) => {
        const body = await ctx.body();
        onlyFields(body, ['name', 'staffId', 'days']);
        const days = int(body, 'days', { min: 1, max: 366 });
        const made = await createApiToken(
          deps.store,
          { name: requiredStr(body, 'name', 80), staffId: (str(body, 'staffId', { max: 60 }) ?? undefined) || ctx.staff!.id, ...(days ? { days } : {}) },
          ctx.actor,
          deps.now(),
          { ip: ctx.ip },
        );
        return { status: 201, body: made satisfies CreatedTokenReply };
      },
    },
    {
      method: 'POST',
      path: '/api/tokens/:id/revoke',
      permission: 'staff',
      handler: async (ctx) => {
        const apiToken = await revokeApiToken(deps.store, ctx.params.id!, ctx.actor, deps.now(), { ip: ctx.ip });
        deps.auth.forgetToken(apiToken.id);
        return { apiToken } satisfies RevokedTokenReply;
      },
    },
  ];
}

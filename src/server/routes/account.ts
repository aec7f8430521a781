/**
 * "Minha conta": the signed-in person's own account — who am I, change my password (re-entering the current
 * one), my passkeys, my recovery codes, my open sessions (shapes in src/web/api-types.ts).
 */
import { removePasskey, renewRecoveryCodes } from '../../clinic/second-factor.js';
import { endStaffSessions, openSessions } from '../../clinic/sessions.js';
import { changePassword, getStaffRecord, publicStaff, staffActor } from '../../clinic/staff.js';
import { PASSWORD_MAX } from '../../clinic/passwords.js';
import { ClinicaError, notFound } from '../../errors.js';
import type { MeReply, PasskeysReply, RecoveryCodesReply, SessionInfo, SessionsReply } from '../../web/api-types.js';
import type { RequestContext, Route } from '../router.js';
import type { ApiDeps } from './index.js';
import { onlyFields, requiredStr } from './input.js';
import { currentSession, meReply, openSession, passkeyInfo } from './sign-in.js';

const needsSession = () => new ClinicaError('forbidden', 'this needs a signed-in session, not an API token', { reason: 'session-only' });

export function accountRoutes(deps: ApiDeps): Route[] {
  /** Account changes are made in a session (an API token cannot change its owner's password or factors). */
  const session = async (ctx: RequestContext) => {
    if (ctx.auth?.via !== 'session') throw needsSession();
    return currentSession(deps, ctx, ['full']);
  };
  return [
    {
      method: 'GET',
      path: '/api/me',
      permission: 'any',
      // the record read afresh: the factors just added or removed in this session show at once
      handler: async (ctx) => {
        const record = await getStaffRecord(deps.store, ctx.staff!.id);
        return meReply(deps, record ? { ...ctx.auth!, staff: publicStaff(record) } : ctx.auth!) satisfies MeReply;
      },
    },
    {
      method: 'POST',
      path: '/api/me/password',
      permission: 'any',
      handler: async (ctx) => {
        const who = await session(ctx);
        const body = await ctx.body();
        onlyFields(body, ['currentPassword', 'newPassword']);
        deps.auth.limiter.check(ctx.ip, who.record.id, 'password attempts');
        let record;
        try {
          record = await changePassword(deps.store, who.record.id, requiredStr(body, 'currentPassword', PASSWORD_MAX * 4), body.newPassword, deps.config.clinic.name, deps.now(), { ip: ctx.ip });
        } catch (err) {
          if (err instanceof ClinicaError && err.reason === 'wrong-password') deps.auth.limiter.fail(ctx.ip, who.record.id);
          throw err;
        }
        deps.auth.forget(record.id);
        return meReply(deps, await openSession(deps, ctx, record, 'full', 'password-change'));
      },
    },
    {
      method: 'POST',
      path: '/api/me/recovery-codes',
      permission: 'any',
      handler: async (ctx) => (await renewRecoveryCodes(deps.store, (await session(ctx)).record.id, deps.now(), { ip: ctx.ip })) satisfies RecoveryCodesReply,
    },
    {
      method: 'GET',
      path: '/api/me/passkeys',
      permission: 'any',
      handler: async (ctx) => ({ passkeys: ((await getStaffRecord(deps.store, ctx.staff!.id))?.passkeys ?? []).map(passkeyInfo) }) satisfies PasskeysReply,
    },
    {
      method: 'DELETE',
      path: '/api/me/passkeys/:id',
      permission: 'any',
      handler: async (ctx) => {
        const who = await session(ctx);
        await removePasskey(deps.store, who.record.id, ctx.params.id!, staffActor(who.record.id), deps.now(), { ip: ctx.ip });
        return { status: 204, body: null };
      },
    },
    {
      method: 'GET',
      path: '/api/me/sessions',
      permission: 'any',
      handler: async (ctx) => {
        const record = (await getStaffRecord(deps.store, ctx.staff!.id))!;
        const sessions: SessionInfo[] = (await openSessions(deps.store, record, deps.now(), deps.auth.idleMs)).map((s) => ({
            id: s.id,
            createdAt: s.createdAt,
            lastSeenAt: s.lastSeenAt,
            expiresAt: s.expiresAt,
            ip: s.ip,
            ...(s.userAgent ? { userAgent: s.userAgent } : {}),
            ...(s.method ? { method: s.method } : {}),
            current: s.id === ctx.auth?.session?.id,
          }));
        return { sessions } satisfies SessionsReply;
      },
    },
    {
      method: 'DELETE',
      path: '/api/me/sessions/:id',
      permission: 'any',
      handler: async (ctx) => {
        const ended = await endStaffSessions(deps.store, ctx.staff!.id, ctx.params.id!);
        if (!ended) throw notFound('no such open session', { field: 'id', reason: 'session-not-found' });
        deps.auth.forget(ctx.staff!.id);
        return { status: 204, body: null };
      },
    },
  ];
}

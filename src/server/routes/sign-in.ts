/**
 * Signing in, accepting an invitation and enrolling a second factor (shapes in src/web/api-types.ts).
 *
 * Password first, then a TOTP code, a recovery code or a passkey; a passkey alone also signs in (it is both
 * factors). Each step that gets further opens a NEW session (a new cookie id) and deletes the one before, so an id
 * seen before sign-in is worth nothing after. The second factor is required for every account, except the demo
 * accounts on target local. Every attempt is rate-limited per account and per source (auth.ts) and audited.
 */
import type { IncomingMessage } from 'node:http';
import { audit } from '../../clinic/audit.js';
import { dummyPasswordHash, PASSWORD_MAX, PASSWORD_MIN, verifyPassword } from '../../clinic/passwords.js';
import {
  addPasskey,
  confirmTotp,
  hasSecondFactor,
  passkeyAuthenticationOptions,
  passkeyRegistrationOptions,
  passkeyUserId,
  startTotp,
  usePasskey,
  useRecoveryCode,
  useTotp,
  type PasskeyResponse,
  type RelyingParty,
} from '../../clinic/second-factor.js';
import { createSession, deleteSession, pruneSessions, type SessionStage } from '../../clinic/sessions.js';
import {
  acceptInvitation,
  findStaffByEmail,
  getStaffRecord,
  invitationAccount,
  permissionsOf,
  publicStaff,
  sha256Hex,
  staffActor,
  updateStaffRecord,
  type StaffRecord,
} from '../../clinic/staff.js';
import { ClinicaError, usageError } from '../../errors.js';
import type { Authenticated } from '../auth.js';
import type { InvitationInfo, MeReply, PasskeyInfo, PasskeyOptionsReply, PasskeyReply, RecoveryCodesReply, SignedIn, SignInStep, TotpEnrolmentReply } from '../../web/api-types.js';
import { readCookie, sessionCookie, SESSION_COOKIES } from '../cookies.js';
import { requestOrigin } from '../csrf.js';
import { HttpError } from '../http.js';
import { RecentMap } from '../recent.js';
import type { RequestContext, Route } from '../router.js';
import type { ApiDeps } from './index.js';
import { onlyFields, requiredStr } from './input.js';

/** May this account sign in without a second factor? Only the demo accounts, only on target local. */
export const mayskipSecondFactor = (deps: ApiDeps, r: StaffRecord) => deps.config.target === 'local' && r.demo === true;

export function meReply(deps: ApiDeps, who: Authenticated): MeReply {
  const out: MeReply = {
    staff: who.staff,
    permissions: permissionsOf(who.staff.role),
    auth: {
      via: who.via,
      ...(who.session ? { sessionId: who.session.id, expiresAt: who.session.expiresAt } : {}),
      idleMinutes: Math.round(deps.auth.idleMs / 60_000),
    },
  };
  if (who.staff.demo && deps.config.target === 'local') out.demo = true;
  return out;
}

export const passkeyInfo = (p: { id: string; name: string; createdAt: string; lastUsedAt?: string }): PasskeyInfo => ({
  id: p.id,
  name: p.name,
  createdAt: p.createdAt,
  ...(p.lastUsedAt ? { lastUsedAt: p.lastUsedAt } : {}),
});

/** The relying party of this request: its host name and origin (checked same-origin by csrf.ts). */
export function relyingParty(deps: ApiDeps, req: IncomingMessage): RelyingParty {
  const origin = requestOrigin(req);
  return { id: new URL(origin).hostname, name: deps.config.clinic.name, origin };
}

/**
 * Opens a session of `stage` for the account, ends the request's previous one, and sets the cookie. A full
 * session also records the sign-in (lastSignInAt, audit).
 */
export async function openSession(deps: ApiDeps, ctx: RequestContext, record: StaffRecord, stage: SessionStage, method: string): Promise<Authenticated> {
  const now = deps.now();
  const previous = readCookie(ctx.req.headers.cookie, SESSION_COOKIES);
  if (previous) {
    try {
      const old = await deps.auth.session(previous);
      if (old.sessionKey) await deleteSession(deps.store, old.sessionKey);
    } catch {
      /* already gone */
    }
    deps.auth.forgetSession(previous);
  }
  let fresh = record;
  if (stage === 'full') {
    await pruneSessions(deps.store, record, now, deps.auth.idleMs);
    fresh = await updateStaffRecord(deps.store, record.id, (r) => ({ ...r, lastSignInAt: now.toISOString() }));
    await audit(deps.store, { actor: staffActor(record.id), action: 'staff.sign-in', details: { staffId: record.id, method, ip: ctx.ip } }, now);
  }
  const { cookie, session } = await createSession(deps.store, fresh, { stage, ip: ctx.ip, userAgent: ctx.req.headers['user-agent'], method }, now);
  ctx.res.setHeader('set-cookie', sessionCookie(ctx.req, cookie));
  return { staff: publicStaff(fresh), via: 'session', session };
}

/** The request's session in one of `stages` (401 otherwise). */
export async function currentSession(deps: ApiDeps, ctx: RequestContext, stages: SessionStage[]): Promise<Authenticated & { record: StaffRecord }> {
  const cookie = readCookie(ctx.req.headers.cookie, SESSION_COOKIES);
  if (!cookie) throw new HttpError(401, 'unauthorized', 'sign in first', { reason: 'signed-out' });
  const who = await deps.auth.session(cookie);
  if (!stages.includes(who.session!.stage)) throw new HttpError(401, 'unauthorized', 'this step is not open in this session; sign in again', { reason: 'second-factor' });
  const record = await getStaffRecord(deps.store, who.staff.id);
  if (!record) throw new HttpError(401, 'unauthorized', 'this account no longer exists', { reason: 'revoked' });
  return { ...who, record };
}

async function failed(deps: ApiDeps, ctx: RequestContext, reason: string, staffId: string | undefined, limiterAccount: string | undefined): Promise<never> {
  deps.auth.limiter.fail(ctx.ip, limiterAccount);
  await audit(deps.store, { actor: staffId ? staffActor(staffId) : 'anonymous', action: 'staff.sign-in-failed', details: { reason, ip: ctx.ip, ...(staffId ? { staffId } : {}) } }, deps.now());
  const message = reason === 'wrong-code' ? 'the code is not right (or was used already)' : reason === 'passkey-invalid' ? 'the passkey was not accepted' : 'wrong e-mail or password';
  throw new HttpError(401, 'unauthorized', message, { reason: reason === 'wrong-code' || reason === 'passkey-invalid' ? reason : 'wrong-credentials' });
}

/** After the password (or an accepted invitation): what the account still has to do. */
async function afterPassword(deps: ApiDeps, ctx: RequestContext, record: StaffRecord, method: string): Promise<SignInStep> {
  if (mayskipSecondFactor(deps, record)) return { next: 'done', ...meReply(deps, await openSession(deps, ctx, record, 'full', `${method} (demo)`)) };
  if (!hasSecondFactor(record)) {
    await openSession(deps, ctx, record, 'enrol', method);
    return { next: 'enrol', staff: publicStaff(record) };
  }
  await openSession(deps, ctx, record, 'second-factor', method);
  const methods: ('totp' | 'recovery-code' | 'passkey')[] = [];
  if (record.totp) methods.push('totp', 'recovery-code');
  if (record.passkeys?.length) methods.push('passkey');
  return { next: 'second-factor', methods };
}

/** WebAuthn challenges this server handed out (5 minutes, single use), with what they are for. */
type Ceremony = { purpose: 'sign-in' } | { purpose: 'register'; staffId: string };

export function signInRoutes(deps: ApiDeps): Route[] {
  const ceremonies = new RecentMap<Ceremony>(5 * 60_000, () => deps.now().getTime());
  const takeChallenge = (response: PasskeyResponse, purpose: Ceremony['purpose'], staffId?: string): string => {
    const clientData = (response.response as { clientDataJSON?: unknown } | undefined)?.clientDataJSON;
    let challenge: string | undefined;
    try {
      challenge = (JSON.parse(Buffer.from(String(clientData), 'base64url').toString('utf8')) as { challenge?: string }).challenge;
    } catch {
      challenge = undefined;
    }
    const ceremony = challenge ? ceremonies.get(challenge) : undefined;
    const mismatch = !ceremony || ceremony.purpose !== purpose || (ceremony.purpose === 'register' && ceremony.staffId !== staffId);
    if (!challenge || mismatch) throw new ClinicaError('forbidden', 'this passkey request expired or is unknown; start again', { reason: 'passkey-invalid' });
    ceremonies.delete(challenge);
    return challenge;
  };
  const passkeyBody = async (ctx: RequestContext) => {
    const body = await ctx.body();
    onlyFields(body, ['response', 'name']);
    const response = body.response as PasskeyResponse | undefined;
    if (!response || typeof response !== 'object' || typeof response.id !== 'string') throw usageError('expected "response": the passkey\'s answer', { field: 'response' });
    return { response, name: typeof body.name === 'string' ? body.name : undefined };
  };
  /** Enrolment finished: an `enrol` session becomes a full one (a new id). */
  const finishEnrolment = async (ctx: RequestContext, who: Authenticated & { record: StaffRecord }, method: string) => {
    if (who.session!.stage !== 'enrol') return undefined;
    const record = (await getStaffRecord(deps.store, who.record.id))!;
    return meReply(deps, await openSession(deps, ctx, record, 'full', method));
  };

  return [
    {
      method: 'POST',
      path: '/api/sign-in',
      permission: false,
      handler: async (ctx) => {
        const body = await ctx.body();
        onlyFields(body, ['email', 'password']);
        const email = requiredStr(body, 'email', 254).trim().toLowerCase();
        const password = requiredStr(body, 'password', PASSWORD_MAX * 4);
        const account = sha256Hex(email).slice(0, 16);
        deps.auth.limiter.check(ctx.ip, account);
        const record = await findStaffByEmail(deps.store, email);
        const ok = await verifyPassword(password, record?.passwordHash ?? (await dummyPasswordHash()));
        if (!record) return failed(deps, ctx, 'unknown-email', undefined, account);
        if (!ok || !record.passwordHash) return failed(deps, ctx, record.passwordHash ? 'wrong-password' : 'no-password', record.id, account);
        if (record.revokedAt) return failed(deps, ctx, 'revoked', record.id, account);
        return afterPassword(deps, ctx, record, 'password');
      },
    },
    {
      method: 'POST',
      path: '/api/sign-in/code',
      permission: false,
      handler: async (ctx) => {
        const who = await currentSession(deps, ctx, ['second-factor']);
        const body = await ctx.body();
        onlyFields(body, ['code', 'recoveryCode']);
        deps.auth.limiter.check(ctx.ip, who.record.id, 'codes');
        const now = deps.now();
        let left: number | undefined;
        try {
          if (typeof body.recoveryCode === 'string') left = (await useRecoveryCode(deps.store, who.record.id, body.recoveryCode.slice(0, 40), now, { ip: ctx.ip })).left;
          else await useTotp(deps.store, who.record.id, requiredStr(body, 'code', 12), now);
        } catch (err) {
          if (err instanceof ClinicaError && err.reason === 'wrong-code') return failed(deps, ctx, 'wrong-code', who.record.id, who.record.id);
          throw err;
        }
        const record = (await getStaffRecord(deps.store, who.record.id))!;
        const me = meReply(deps, await openSession(deps, ctx, record, 'full', left === undefined ? 'password+totp' : 'password+recovery-code'));
        return { next: 'done', ...me, ...(left !== undefined ? { recoveryCodesLeft: left } : {}) } satisfies SignedIn;
      },
    },
    {
      method: 'POST',
      path: '/api/sign-in/passkey/options',
      permission: false,
      handler: async (ctx) => {
        const options = await passkeyAuthenticationOptions(relyingParty(deps, ctx.req));
        ceremonies.set(options.challenge, { purpose: 'sign-in' });
        return { options } satisfies PasskeyOptionsReply;
      },
    },
    {
      method: 'POST',
      path: '/api/sign-in/passkey',
      permission: false,
      handler: async (ctx) => {
        const { response } = await passkeyBody(ctx);
        const staffId = passkeyUserId(response);
        deps.auth.limiter.check(ctx.ip, staffId);
        const challenge = takeChallenge(response, 'sign-in');
        try {
          if (!staffId) throw new ClinicaError('forbidden', 'unknown passkey', { reason: 'passkey-invalid' });
          await usePasskey(deps.store, staffId, { response, challenge }, relyingParty(deps, ctx.req), deps.now());
        } catch (err) {
          if (err instanceof ClinicaError && (err.reason === 'passkey-invalid' || err.kind === 'not-found')) return failed(deps, ctx, 'passkey-invalid', staffId, staffId);
          throw err;
        }
        const record = (await getStaffRecord(deps.store, staffId))!;
        return { next: 'done', ...meReply(deps, await openSession(deps, ctx, record, 'full', 'passkey')) } satisfies SignedIn;
      },
    },
    {
      method: 'POST',
      path: '/api/sign-out',
      permission: false,
      handler: async (ctx) => {
        const cookie = readCookie(ctx.req.headers.cookie, SESSION_COOKIES);
        if (cookie) {
          try {
            const who = await deps.auth.session(cookie);
            await deleteSession(deps.store, who.sessionKey!);
            await audit(deps.store, { actor: staffActor(who.staff.id), action: 'staff.sign-out', details: { staffId: who.staff.id, ip: ctx.ip } }, deps.now());
          } catch {
            /* already ended */
          }
          deps.auth.forgetSession(cookie);
        }
        return { status: 204, body: null, headers: { 'set-cookie': sessionCookie(ctx.req, undefined) } };
      },
    },
    {
      method: 'POST',
      path: '/api/invitation',
      permission: false,
      handler: async (ctx): Promise<InvitationInfo> => {
        const body = await ctx.body();
        onlyFields(body, ['token']);
        deps.auth.limiter.check(ctx.ip, undefined, 'invitation links');
        const record = await invitationAccount(deps.store, requiredStr(body, 'token', 200), deps.now());
        if (!record) {
          deps.auth.limiter.fail(ctx.ip, undefined);
          throw new ClinicaError('forbidden', 'this invitation link is not valid any more (used, expired or replaced)', { reason: 'invitation-invalid' });
        }
        return {
          name: record.name,
          ...(record.email ? { email: record.email } : {}),
          clinicName: deps.config.clinic.name,
          expiresAt: record.invitation!.expiresAt,
          password: { min: PASSWORD_MIN, max: PASSWORD_MAX },
          secondFactorRequired: !mayskipSecondFactor(deps, record),
        };
      },
    },
    {
      method: 'POST',
      path: '/api/invitation/accept',
      permission: false,
      handler: async (ctx) => {
        const body = await ctx.body();
        onlyFields(body, ['token', 'password']);
        deps.auth.limiter.check(ctx.ip, undefined, 'invitation links');
        let record: StaffRecord;
        try {
          record = await acceptInvitation(deps.store, requiredStr(body, 'token', 200), body.password, deps.config.clinic.name, deps.now(), { ip: ctx.ip });
        } catch (err) {
          if (err instanceof ClinicaError && err.reason === 'invitation-invalid') deps.auth.limiter.fail(ctx.ip, undefined);
          throw err;
        }
        deps.auth.forget(record.id);
        return afterPassword(deps, ctx, record, 'invitation');
      },
    },
    {
      method: 'POST',
      path: '/api/enrol/totp',
      permission: false,
      handler: async (ctx) => {
        const who = await currentSession(deps, ctx, ['enrol', 'full']);
        const enrolment = await startTotp(deps.store, who.record.id, deps.config.clinic.name, deps.now());
        return { secret: enrolment.secret, uri: enrolment.uri, qrDataUrl: `data:image/svg+xml;base64,${Buffer.from(enrolment.qrSvg).toString('base64')}` } satisfies TotpEnrolmentReply;
      },
    },
    {
      method: 'POST',
      path: '/api/enrol/totp/verify',
      permission: false,
      handler: async (ctx) => {
        const who = await currentSession(deps, ctx, ['enrol', 'full']);
        const body = await ctx.body();
        onlyFields(body, ['code']);
        deps.auth.limiter.check(ctx.ip, who.record.id, 'codes');
        let codes: string[];
        try {
          codes = (await confirmTotp(deps.store, who.record.id, requiredStr(body, 'code', 12).replace(/\s/g, ''), deps.now(), { ip: ctx.ip })).recoveryCodes;
        } catch (err) {
          if (err instanceof ClinicaError && err.reason === 'wrong-code') deps.auth.limiter.fail(ctx.ip, who.record.id);
          throw err;
        }
        const me = await finishEnrolment(ctx, who, 'invitation+totp');
        return { recoveryCodes: codes, ...(me ? { me } : {}) } satisfies RecoveryCodesReply;
      },
    },
    {
      method: 'POST',
      path: '/api/enrol/passkey/options',
      permission: false,
      handler: async (ctx) => {
        const who = await currentSession(deps, ctx, ['enrol', 'full']);
        const options = await passkeyRegistrationOptions(who.record, relyingParty(deps, ctx.req));
        ceremonies.set(options.challenge, { purpose: 'register', staffId: who.record.id });
        return { options } satisfies PasskeyOptionsReply;
      },
    },
    {
      method: 'POST',
      path: '/api/enrol/passkey',
      permission: false,
      handler: async (ctx) => {
        const who = await currentSession(deps, ctx, ['enrol', 'full']);
        const { response, name } = await passkeyBody(ctx);
        const challenge = takeChallenge(response, 'register', who.record.id);
        const passkey = await addPasskey(deps.store, who.record.id, { response, challenge, name }, relyingParty(deps, ctx.req), deps.now(), { ip: ctx.ip });
        const me = await finishEnrolment(ctx, who, 'invitation+passkey');
        return { status: 201, body: { passkey: passkeyInfo(passkey), ...(me ? { me } : {}) } satisfies PasskeyReply };
      },
    },
  ];
}

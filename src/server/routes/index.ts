/**
 * The API's table of contents. Each area's routes live beside it in <area>.ts; permissions per role are in
 * src/clinic/staff.ts (reception: patients + appointments; dentist/assistant: + images; admin: + staff, audit).
 *
 *   GET  /health                              no login: version, uptime, S3 reachable
 *   POST /api/login                           {token} → the staff member (an API token; failures rate-limited)
 *   sign-in, invitation, enrolment (routes/sign-in.ts), /api/me… (routes/account.ts): shapes in src/web/api-types.ts
 *   GET  /api/patients?search=&status=&limit=&offset=
 *   POST /api/patients                        GET/PATCH /api/patients/:id (If-Match)   POST /api/patients/:id/archive
 *   GET  /api/appointments?date= | from=&to= [&dentist=&patient=]
 *   POST /api/appointments                    GET /api/appointments/:id
 *   GET  /api/appointments/free?date= | from=&to= [&dentist=&duration=&limit=]   (free slots)
 *   POST /api/appointments/:id/{move,cancel,confirm,arrived,done,no-show}
 *   GET  /api/dentists  GET /api/dentists/:id  GET /api/chairs; POST/PATCH + /deactivate (admin)
 *   GET  /api/patients/:id/images             POST /api/patients/:id/images (→ presigned PUT)
 *   POST /api/patients/:id/images/:imageId/upload-failed   (the browser could not send the file)
 *   GET  /api/patients/:id/images/:imageId/shared          (a download link for the watermarked copy)
 *   /api/staff…, /api/tokens… (admin: team and API tokens, routes/team.ts; shapes in src/web/api-types.ts)
 *   GET  /api/audit?patient=&since=&until=                                 (admin)
 *   GET  /api/answers[?unseen=1]   POST /api/answers/:id/seen   (the patients' answers, routes/answers.ts)
 */
import { listAudit } from '../../clinic/audit.js';
import type { ReminderSender } from '../../clinic/reminders.js';
import type { ResolvedConfig } from '../../config/load.js';
import type { Log } from '../../log.js';
import type { Store } from '../../store/store.js';
import type { Authenticator } from '../auth.js';
import { HttpError } from '../http.js';
import { PatientDirectory } from '../patient-directory.js';
import { PatientRecords } from '../patient-records.js';
import type { Route } from '../router.js';
import { answerRoutes } from './answers.js';
import { appointmentRoutes } from './appointments.js';
import { dentistRoutes } from './dentists.js';
import { imageRoutes } from './images.js';
import { accountRoutes } from './account.js';
import { onlyFields } from './input.js';
import { patientRoutes } from './patients.js';
import { meReply, signInRoutes } from './sign-in.js';
import { teamRoutes } from './team.js';

export interface ApiDeps {
  config: ResolvedConfig;
  store: Store;
  log: Log;
  auth: Authenticator;
  now: () => Date;
  version: string;
  startedAt: number;
  patients: PatientDirectory;
  /** opened records kept in memory (each opening still audited) */
  records: PatientRecords;
  /** the SES sender for change notices, opened on first use (absent: notices are skipped, reason no-sender) */
  openSender?: () => Promise<ReminderSender>;
  sendInvitation?: SendInvitation;
}

/** Sends an invitation e-mail (src/mail/invitation.ts through SES on AWS). */
export type SendInvitation = (invitation: { to: string; name: string; url: string; expiresAt: string }) => Promise<void>;

function healthRoute(deps: ApiDeps): Route {
  let last: { at: number; reachable: boolean } | undefined;
  return {
    method: 'GET',
    path: '/health',
    permission: false,
    handler: async () => {
      const now = Date.now();
      if (!last || now - last.at > 2_000) {
        let reachable = true;
        try {
          await deps.store.head('health/probe');
        } catch (err) {
          reachable = false;
          deps.log.warn('health: S3 unreachable', { error: (err as Error).message });
        }
        last = { at: now, reachable };
      }
      const body = {
        status: last.reachable ? 'ok' : 'degraded',
        version: deps.version,
        uptimeSeconds: Math.round((now - deps.startedAt) / 1000),
        s3: { reachable: last.reachable },
      };
      return { status: last.reachable ? 200 : 503, body };
    },
  };
}

/** The token sign-in of the current staff page (pasted API token): kept until the page signs in with e-mail. */
function tokenLoginRoute(deps: ApiDeps): Route {
  return {
    method: 'POST',
    path: '/api/login',
    permission: false,
    handler: async (ctx) => {
      const body = await ctx.body();
      onlyFields(body, ['token']);
      const token = typeof body.token === 'string' ? body.token.trim() : undefined;
      const who = await deps.auth.authenticate(token, ctx.ip);
      ctx.log.info('login', { requestId: ctx.requestId, staff: who.staff.id, ip: ctx.ip });
      return meReply(deps, who);
    },
  };
}

function auditRoutes(deps: ApiDeps): Route[] {
  return [
    {
      method: 'GET',
      path: '/api/audit',
      permission: 'audit',
      handler: async ({ query }) => {
        const patientId = query.get('patient') || undefined;
        const since = query.get('since') || undefined;
        const until = query.get('until') || undefined;
        if (!patientId && !since) throw new HttpError(400, 'usage', 'give a patient or a since date (the whole log can be large)', { field: 'since' });
        const entries = await listAudit(deps.store, { ...(patientId ? { patientId } : {}), ...(since ? { since } : {}), ...(until ? { until } : {}) });
        return { entries };
      },
    },
  ];
}

export function routes(base: Omit<ApiDeps, 'patients' | 'records'>): Route[] {
  const deps: ApiDeps = { ...base, patients: new PatientDirectory(base.store), records: new PatientRecords(base.store) };
  return [
    healthRoute(deps),
    tokenLoginRoute(deps),
    ...signInRoutes(deps),
    ...accountRoutes(deps),
    ...patientRoutes(deps),
    ...appointmentRoutes(deps),
    ...dentistRoutes(deps),
    ...imageRoutes(deps),
    ...teamRoutes(deps),
    ...auditRoutes(deps),
    ...answerRoutes(deps),
  ];
}

/**
 * The patients' answers for the staff: GET /api/answers[?unseen=1] lists confirmations, cancellations and
 * reschedule requests and free-text WhatsApp messages (with the phone for the latter two), each with its `id`;
 * POST /api/answers/:id/seen marks one seen (an appointment id, or `m-…` for a message).
 */
import { listAnswers, markAnswerSeen } from '../../clinic/patient-answers.js';
import type { Route } from '../router.js';
import type { ApiDeps } from './index.js';

export function answerRoutes(deps: ApiDeps): Route[] {
  const { store } = deps;
  return [
    {
      method: 'GET',
      path: '/api/answers',
      permission: 'appointments',
      handler: async ({ query }) => {
        const answers = await listAnswers(store, { unseen: query.get('unseen') === '1' });
        return { answers, unseen: answers.filter((a) => !a.seen).length };
      },
    },
    {
      method: 'POST',
      path: '/api/answers/:id/seen',
      permission: 'appointments',
      handler: async (ctx) => ({ answer: await markAnswerSeen(store, ctx.params.id!, ctx.actor, deps.now()) }),
    },
  ];
}

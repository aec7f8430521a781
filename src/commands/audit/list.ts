import { listAudit } from '../../clinic/audit.js';
import { normalizePatientId } from '../../clinic/patients.js';
import { parseDate, startOfLocalDay } from '../../clinic/time.js';
import { openContext } from '../../command-context.js';
import { usageError } from '../../errors.js';
import { output, type CommandInput, type Output } from '../action.js';
import { withFlagNames } from '../patients/fields.js';
import { localTime } from '../patients/render.js';

export default async function auditList({ opts }: CommandInput<{ patient?: string; since?: string; limit?: string }>): Promise<Output> {
  const ctx = openContext(opts);
  const tz = ctx.config.clinic.timeZone;
  const limit = opts.limit === undefined ? 200 : Number(opts.limit);
  if (!Number.isInteger(limit) || limit < 0) throw usageError(`--limit: "${opts.limit}" is not a whole number`, { field: 'limit' });
  const { patientId, since } = await withFlagNames(async () => ({
    patientId: opts.patient ? normalizePatientId(opts.patient, 'patient') : undefined,
    since: opts.since === undefined ? undefined : /T/.test(opts.since) ? new Date(opts.since) : startOfLocalDay(parseDate(opts.since, 'since'), tz),
  }));
  if (since && Number.isNaN(since.getTime())) throw usageError(`--since: "${opts.since}" is not a date (expected YYYY-MM-DD)`, { field: 'since' });
  const store = await ctx.dataStore();
  const entries = await listAudit(store, { patientId, since });
  return output(entries, async (ui) => {
    if (!entries.length) return ui.print('no audit entries' + (patientId ? ` for ${patientId}` : '') + (opts.since ? ` since ${opts.since}` : ''));
    const shown = limit === 0 ? entries : entries.slice(-limit);
    await ui.table(shown, [
      { header: `When (${tz})`, value: (e) => localTime(e.at, tz) + ':' + e.at.slice(17, 19) },
      { header: 'Who', value: (e) => e.actor },
      { header: 'What', value: (e) => e.action },
      { header: 'Patient', value: (e) => e.patientId },
      { header: 'Details', value: (e) => (e.details ? Object.entries(e.details).map(([k, v]) => `${k}=${Array.isArray(v) ? v.join(',') : String(v)}`).join(' ') : '') },
    ]);
    if (shown.length < entries.length) ui.info(`showing the last ${shown.length} of ${entries.length}; --limit 0 for all`);
  });
}

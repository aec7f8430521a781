import { createApiToken, listApiTokens, revokeApiToken } from '../../clinic/api-tokens.js';
import { openContext } from '../../command-context.js';
import { usageError } from '../../errors.js';
import { output, type CommandInput, type Output } from '../action.js';

export async function add({ args, opts }: CommandInput<{ staff: string; days?: string }>): Promise<Output> {
  const days = opts.days === undefined ? undefined : /^\d+$/.test(opts.days) ? Number(opts.days) : NaN;
  if (Number.isNaN(days)) throw usageError(`--days "${opts.days}": expected a whole number of days (1–366)`, { field: 'days' });
  const ctx = openContext(opts);
  const { apiToken, token } = await createApiToken(await ctx.dataStore(), { name: args[0] ?? '', staffId: opts.staff, days }, ctx.actor);
  return output({ apiToken, token }, (ui) => {
    ui.print(`${ui.green('✓')} API token ${apiToken.id} "${apiToken.name}" for ${apiToken.staffId}, until ${apiToken.expiresAt.slice(0, 10)}`);
    ui.print(`token: ${ui.bold(token)}`);
    ui.info('shown only now: scripts send it as "Authorization: Bearer <token>". Revoke it with `clinica tokens revoke ' + apiToken.id + '`.');
  });
}

export async function list({ opts }: CommandInput): Promise<Output> {
  const ctx = openContext(opts);
  const tokens = await listApiTokens(await ctx.dataStore());
  return output({ tokens }, async (ui) => {
    if (!tokens.length) return ui.print('no API tokens — add one with `clinica tokens add NAME --staff ID`');
    const now = Date.now();
    await ui.table(tokens, [
      { header: 'Id', value: (t) => t.id },
      { header: 'Name', value: (t) => t.name },
      { header: 'Staff', value: (t) => t.staffId },
      { header: 'Expires', value: (t) => t.expiresAt.slice(0, 10) },
      { header: 'Status', value: (t) => (t.revokedAt ? ui.red('revoked') : Date.parse(t.expiresAt) <= now ? ui.yellow('expired') : ui.green('active')) },
    ]);
  });
}

export async function revoke({ args, opts }: CommandInput): Promise<Output> {
  const ctx = openContext(opts);
  const apiToken = await revokeApiToken(await ctx.dataStore(), args[0] ?? '', ctx.actor);
  return output({ apiToken }, (ui) => ui.print(`${ui.green('✓')} revoked API token ${apiToken.id} "${apiToken.name}"; a running server refuses it within 15 s`));
}

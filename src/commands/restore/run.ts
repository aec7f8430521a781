import { openContext } from '../../command-context.js';
import { parseDateTime } from '../../clinic/time.js';
import { stageName } from '../../config/schema.js';
import { ExitCode, usageError } from '../../errors.js';
import { backupLocation } from '../../infra/names.js';
import type { RestoreItem, RestoreResult } from '../../usecases/restore.js';
import { notConfirmed, output, type CommandInput, type Output } from '../action.js';
import { count } from '../../plural.js';

interface RestoreOptions {
  patient?: string;
  all?: boolean;
  at?: string;
  toStage?: string;
  dryRun?: boolean;
}

/** restore: the plan (read only) → a diff → confirm (on a terminal, or --yes) → apply. */
export default async function restore({ opts, ui }: CommandInput<RestoreOptions>): Promise<Output> {
  if (!opts.patient === !opts.all) throw usageError('say what to restore: --patient <id> or --all', { field: 'patient' });
  if (!opts.at) throw usageError('--at: the moment to restore to is required, e.g. --at "2026-11-01 10:00"', { field: 'at' });
  if (opts.all && !opts.toStage) throw usageError('--all needs --to-stage <name>: the whole store is rebuilt into another stage\'s bucket', { field: 'to-stage' });
  if (opts.patient && opts.toStage) throw usageError('--to-stage: only with --all', { field: 'to-stage' });
  const ctx = openContext(opts);
  const at = parseDateTime(opts.at, ctx.config.clinic.timeZone, 'at');
  if (at.getTime() > Date.now()) throw usageError(`--at: ${opts.at} is in the future`, { field: 'at' });
  const uc = await import('../../usecases/restore.js');
  const backup = backupLocation(ctx.config);
  const sources = { data: await ctx.dataStore(), backup: await ctx.storeFor(backup.bucket, backup.region) };

  if (opts.patient) {
    const plan = await uc.planPatientRestore(sources, opts.patient, at);
    await showItems(ui, plan.items);
    if (!plan.changes) {
      return output({ ...plan, restored: [], failed: [] }, (ui) => ui.print(`${plan.patientId} is already as it was at ${opts.at}: nothing to restore`));
    }
    if (opts.dryRun) {
      return output(plan, (ui) => ui.print(`dry run: ${count(plan.changes, 'object')} would be written as new versions; nothing was changed`));
    }
    const confirmed = await ui.confirm(`Write ${count(plan.changes, 'object')} of ${plan.patientId} back as they were at ${opts.at}? (newer versions are kept)`, {
      refusal: `restoring ${plan.patientId} changes the record: confirm with --yes (no terminal to ask on)`,
      field: 'yes',
    });
    if (!confirmed) return notConfirmed({ ...plan, restored: [], failed: [] });
    const progress = ui.progressOf<string>('restoring', { total: plan.changes });
    const result = await uc.applyPatientRestore(sources, plan, ctx.actor, progress.emit);
    progress.done();
    return report(plan.patientId, { ...plan, ...result }, result, 'run `clinica patients reindex` if the name or CPF changed (search and CPF claims follow the records)');
  }

  const toStage = stageName.safeParse(opts.toStage);
  if (!toStage.success) throw usageError(`--to-stage: "${opts.toStage}" is not a stage name (lowercase letters, digits and "-", e.g. "drill")`, { field: 'to-stage' });
  if (toStage.data === ctx.config.stage) throw usageError(`--to-stage: ${toStage.data} is this stage; restore --all writes into another stage's bucket`, { field: 'to-stage' });
  const targetBucket = `${ctx.config.names.prefix}-${toStage.data}-data`;
  const target = await ctx.storeFor(targetBucket, ctx.config.aws.region);
  if (ctx.local) {
    // the local S3 is a sandbox: the other stage's bucket is made here as `clinica deploy` makes it on AWS
    await target.ensureBucket();
    await target.enableVersioning();
  }
  const plan = await uc.planStoreRestore(sources, target, at);
  await ui.table(
    Object.entries(plan.byPrefix).map(([prefix, n]) => ({ prefix, n })),
    [
      { header: 'Prefix', value: (r) => r.prefix },
      { header: 'Objects', value: (r) => r.n, align: 'right' },
    ],
    { title: `As of ${opts.at}, into ${targetBucket}` },
  );
  const fromBackup = plan.items.filter((i) => i.from?.source === 'backup').length;
  if (fromBackup) ui.print(`${count(fromBackup, 'object')} ${fromBackup === 1 ? 'comes' : 'come'} from the backup (expired in the data bucket)`);
  if (opts.dryRun) {
    return output({ at: plan.at, to: plan.to, objects: plan.items.length, byPrefix: plan.byPrefix, fromBackup }, (ui) =>
      ui.print(`dry run: ${count(plan.items.length, 'object')} would be written into ${targetBucket}; nothing was changed`),
    );
  }
  const confirmed = await ui.confirm(`Write ${count(plan.items.length, 'object')} into ${targetBucket} as they were at ${opts.at}?`, {
    refusal: `restore --all writes into ${targetBucket}: confirm with --yes (no terminal to ask on)`,
    field: 'yes',
  });
  if (!confirmed) return notConfirmed({ at: plan.at, to: plan.to, restored: [], failed: [] });
  const progress = ui.progressOf<string>('restoring', { total: plan.items.length });
  const result = await uc.applyStoreRestore(sources, target, plan, ctx.actor, progress.emit);
  progress.done();
  return report(targetBucket, { at: plan.at, to: plan.to, ...result }, result, `point a stage at it with \`--stage ${toStage.data}\`, then \`clinica patients reindex --stage ${toStage.data}\``);
}

async function showItems(ui: CommandInput['ui'], items: RestoreItem[]): Promise<void> {
  const label: Record<RestoreItem['action'], string> = { restore: 'restore', unchanged: 'unchanged', later: 'kept (created later)' };
  await ui.table(items, [
    { header: 'What', value: (i) => i.what },
    { header: 'Key', value: (i) => i.key },
    { header: 'Change', value: (i) => label[i.action] },
    { header: 'From', value: (i) => (i.from ? `${i.from.source}, ${i.from.lastModified.slice(0, 19).replace('T', ' ')} UTC` : '') },
    { header: 'Fields that differ', value: (i) => (i.action === 'restore' ? (i.fields?.join(', ') ?? '(whole object)') : '') },
  ]);
}

function report(what: string, value: unknown, result: RestoreResult, next: string): Output {
  return output(
    value,
    (ui) => {
      for (const f of result.failed) ui.warn(`${f.key}: ${f.error}`);
      if (result.failed.length) ui.print(`${result.restored.length} restored, ${result.failed.length} failed (listed above): run the same command again to retry`);
      else ui.print(`${ui.green('✓')} ${what}: ${count(result.restored.length, 'object')} restored as new versions (the audit log has the event) — ${next}`);
    },
    { exitCode: result.failed.length ? ExitCode.partial : 0 },
  );
}

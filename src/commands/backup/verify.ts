import { openContext } from '../../command-context.js';
import { ExitCode, usageError } from '../../errors.js';
import { backupLocation } from '../../infra/names.js';
import { output, type CommandInput, type Output } from '../action.js';
import { count } from '../../plural.js';

const LABEL = { mismatch: 'DIFFERENT in the backup', missing: 'missing in the backup', failed: 'replication FAILED', pending: 'on its way (lag)', ok: 'ok' } as const;

export default async function verify({ opts, ui }: CommandInput<{ sample?: string }>): Promise<Output> {
  const sampleSize = opts.sample === undefined ? 100 : Number(opts.sample);
  if (!Number.isInteger(sampleSize) || sampleSize < 0) throw usageError(`--sample: "${opts.sample}" is not a whole number of objects (e.g. --sample 500)`, { field: 'sample' });
  const ctx = openContext(opts);
  const where = backupLocation(ctx.config);
  const [data, backup, { verifyBackup }] = await Promise.all([ctx.dataStore(), ctx.storeFor(where.bucket, where.region), import('../../usecases/backup-verify.js')]);
  const progress = ui.progressOf<string>('comparing');
  const report = await verifyBackup(data, backup, { sampleSize, onProgress: progress.emit });
  progress.done();
  const lag = report.maxLagSeconds !== undefined ? `; oldest write still replicating: ${report.maxLagSeconds} s ago` : '';
  return output(
    { backup: where.bucket, region: where.region, ...report },
    async (ui) => {
      if (report.problems.length) {
        await ui.table(report.problems, [
          { header: 'Object', value: (p) => p.key },
          { header: 'Finding', value: (p) => LABEL[p.outcome] + (p.lagSeconds !== undefined ? ` (${p.lagSeconds} s)` : '') },
        ]);
      }
      if (report.failed) ui.print(`${report.checked - report.ok} of ${count(report.checked, 'object')} are not the same in ${where.bucket}${lag} — see docs/aws.md, "Backup bucket"`);
      else ui.print(`${ui.green('✓')} ${report.ok} of ${count(report.checked, 'object')} match in ${where.bucket} (${where.region})${lag}`);
    },
    { exitCode: report.failed ? ExitCode.failure : 0 },
  );
}

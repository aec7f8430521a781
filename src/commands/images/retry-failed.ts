/**
 * `clinica images retry-failed`: the uploads image-processor could not process (the events its on-failure
 * queue holds, src/infra/queues.ts) are listed, and — once confirmed — each is processed again; its message is
 * deleted only when that succeeded, so a failure stays for the next run (safe to re-run). Exit 3 when some
 * failed again.
 */
import { loadConfig } from '../../config/load.js';
import { ClinicaError, ExitCode, usageError } from '../../errors.js';
import { failureQueueUrl, receiveFailed, releaseFailed, retryFailedEvent, type FailedEvent } from '../../infra/queues.js';
import type { Ui } from '../../ui/output.js';
import { output, type CommandInput, type Output } from '../action.js';
import { openStage, type InfraCommandDeps } from '../infra/common.js';

export default async function retryFailedCommand({ opts, ui }: CommandInput): Promise<Output> {
  return retryFailed(opts, ui);
}

const what = (e: FailedEvent) => e.key ?? `message ${e.messageId}`;

export async function retryFailed(opts: CommandInput['opts'], ui: Ui, deps: InfraCommandDeps = {}): Promise<Output> {
  const target = loadConfig(opts);
  if (target.target === 'local' && !target.aws.endpointUrl) {
    throw usageError("images retry-failed reads the AWS stage's queue of failed image events, and the config's target is local", {
      field: 'target',
      hint: 'run it against the AWS stage: CLINICA_TARGET=aws for one run, or name an AWS-compatible endpoint with --endpoint-url',
    });
  }
  const { config, ctx } = await openStage(opts, ui, deps);
  const url = await failureQueueUrl(ctx);
  if (!url) {
    throw new ClinicaError('not-found', `stage ${config.stage} has no queue of failed image events (${ctx.names.imageFailuresQueue})`, {
      hint: 'run `clinica deploy`: it creates the queue and makes it image-processor\'s on-failure destination',
    });
  }
  const events = await receiveFailed(ctx, url);
  if (!events.length) {
    return output({ retried: [], failed: [] }, () => ui.print('no failed image events: every upload was processed'));
  }
  await ui.table(
    events,
    [
      { header: 'Upload', value: what },
      { header: 'Failed at', value: (e) => e.failedAt ?? '?' },
      { header: 'Why', value: (e) => [e.condition, e.error].filter(Boolean).join(': ') || '?' },
    ],
    { title: `Failed image events of stage ${config.stage}` },
  );
  if (!(await ui.confirm(`Process ${events.length} upload${events.length > 1 ? 's' : ''} again?`))) {
    await releaseFailed(ctx, url, events);
    return output({ retried: [], failed: [] }, () => ui.print('nothing was changed'));
  }
  const retried: string[] = [];
  const failed: { upload: string; error: string }[] = [];
  const progress = ui.progress(events.length, 'processing again');
  for (const [n, e] of events.entries()) {
    try {
      await retryFailedEvent(ctx, url, e);
      retried.push(what(e));
    } catch (err) {
      const error = err instanceof Error ? err.message : String(err);
      failed.push({ upload: what(e), error });
      ui.print(`${ui.red('✗')} ${what(e)}: ${error}`);
    }
    progress.tick(n + 1);
  }
  progress.done();
  return output({ retried, failed }, () =>
    ui.info(`${retried.length} processed again${failed.length ? `, ${failed.length} failed again (left in the queue; run \`clinica images retry-failed\` later)` : ''}`),
  { exitCode: failed.length ? ExitCode.partial : 0 });
}

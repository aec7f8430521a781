/** What deploy, status and destroy share: opening the infra context, printing a plan, asking before changes. */
import { loadConfig, type GlobalOptions, type ResolvedConfig } from '../../config/load.js';
import { awsWhere } from '../../aws/clients.js';
import { awsTarget } from '../../command-context.js';
import { usageError } from '../../errors.js';
import { openInfra, type InfraContext, type OpenInfraOptions } from '../../infra/context.js';
import type { DnsLookup, Fetcher } from '../../infra/health.js';
import type { Outputs } from '../../infra/outputs.js';
import type { Action, Plan, Step } from '../../infra/plan.js';
import type { StageActivity } from '../../infra/resource.js';
import { PLAIN_HTTP_WARNING } from '../../infra/serving.js';
import type { ProgressEvent } from '../../progress.js';
import type { Ui } from '../../ui/output.js';

/** What the commands can be handed instead of the real thing (tests: prebuilt bundles, no waiting, no network). */
export interface InfraCommandDeps {
  infra?: Omit<OpenInfraOptions, 'log'>;
  fetcher?: Fetcher;
  dns?: DnsLookup;
}

/** A stage's progress event as the spinner retells it. */
export function stageActivityText({ done, item }: ProgressEvent<StageActivity>): string {
  switch (item?.doing) {
    case 'empty':
      return `emptying ${item.bucket}: ${done} object versions deleted`;
    case 'bundle':
      return 'building the bundles';
    case 'site':
      return 'building the site';
    default:
      return 'reading the stage from AWS';
  }
}

export async function openStage(opts: GlobalOptions, ui: Ui, deps: InfraCommandDeps = {}): Promise<{ config: ResolvedConfig; ctx: InfraContext }> {
  const config = loadConfig(opts);
  if (config.target === 'local' && !config.aws.endpointUrl) {
    // nothing to deploy, read or destroy on this machine: say so before any AWS call (and its credential chain).
    // An endpoint URL (flag › CLINICA_ENDPOINT_URL › file) names an AWS-compatible endpoint, as it does for every
    // other command on target local: the stage is managed there.
    throw usageError(`deploy, status and destroy manage the stage on AWS, and the config's target is local`, {
      field: 'target',
      hint: 'point the config at AWS with `clinica init --force --target aws …`, set CLINICA_TARGET=aws for one run, or name an AWS-compatible endpoint with --endpoint-url',
    });
  }
  const target = awsTarget(config);
  const spinner = await ui.spinner(`connecting to ${target.endpoint ?? awsWhere(target)}`);
  try {
    const ctx = await openInfra(config, target, { ...deps.infra, log: ui });
    spinner.succeed(`stage ${config.stage} — ${ctx.where}`);
    return { config, ctx };
  } catch (err) {
    // not always the network: missing credentials and a non-AWS endpoint end here too (the error line says which)
    spinner.fail(`could not open stage ${config.stage} at ${target.endpoint ?? awsWhere(target)}`);
    throw err;
  }
}

const label: Record<Action, string> = { create: '+ create', update: '~ update', 'no-change': '  no change', delete: '- delete' };

export function actionText(ui: Ui, s: Step): string {
  const text = label[s.action];
  if (s.action === 'create') return ui.green(text);
  if (s.action === 'update') return ui.yellow(text);
  if (s.action === 'delete') return ui.red(text);
  return ui.dim(text);
}

export async function printPlan(ui: Ui, plan: Plan, options: { title?: string; status?: boolean } = {}): Promise<void> {
  await ui.table(
    plan.steps.map((s, i) => ({ s, i })),
    [
      { header: '#', value: (r) => r.i + 1, align: 'right' },
      { header: 'Resource', value: (r) => `${r.s.kind} ${r.s.name}` },
      {
        header: options.status ? 'State' : 'Action',
        value: (r) =>
          options.status
            ? r.s.action === 'no-change'
              ? ui.green('ok')
              : r.s.action === 'create'
                ? ui.red('missing')
                : ui.red('drift')
            : actionText(ui, r.s),
      },
      { header: options.status ? 'Detail' : 'Why', value: (r) => (options.status && r.s.action !== 'no-change' ? ui.red(r.s.why) : r.s.why) },
    ],
    { title: options.title },
  );
  for (const warning of plan.warnings ?? []) ui.warn(warning);
  if (plan.plainHttp) ui.warn(ui.red(PLAIN_HTTP_WARNING));
}

export async function printOutputs(ui: Ui, outputs: Outputs, file?: string): Promise<void> {
  const b = outputs.backend;
  const rows: [string, string | undefined][] = [
    ['staff page', outputs.staff?.url],
    ['Elastic IP', outputs.staff?.elasticIp],
    ['website', outputs.websiteUrl],
    ['backend (private)', b.privateUrl],
    ['backend (public)', b.publicUrl],
    ['instance', b.instanceId ? `${b.instanceId} (${b.state ?? '?'})` : undefined],
    ['server release', b.release],
    ['image-processor', outputs.functions.imageProcessor],
    ['reminders', outputs.functions.reminders],
    ['answer page', outputs.answerPage],
    ['data bucket', outputs.buckets.data],
    ['site bucket', outputs.buckets.site],
    ['e-mail sender', outputs.mail.status],
    ['SES account', outputs.mail.quota],
  ];
  await ui.table(
    rows.filter(([, v]) => v),
    [
      { header: 'Output', value: (r) => r[0] },
      { header: 'Value', value: (r) => r[1] },
    ],
  );
  const dkim = outputs.mail.dkimRecords;
  if (dkim?.length && !outputs.mail.status.includes('(Easy DKIM)')) {
    ui.info(`publish these DNS records for the sender's domain (Easy DKIM: SES signs the reminders as the clinic's domain, for DMARC):`);
    await ui.table(dkim, [
      { header: 'Name', value: (r) => r.name },
      { header: 'Type', value: (r) => r.type },
      { header: 'Value', value: (r) => r.value },
    ]);
  }
  if (file) ui.info(`outputs written to ${file}`);
  const staff = outputs.staff;
  if (staff?.zone && staff.nameServers.length) {
    ui.print(`At the registrar of ${staff.zone} (once): its NS records must be exactly`);
    for (const ns of staff.nameServers) ui.print(`  ${staff.zone}. NS ${ns}.`);
  }
}

/**
 * What a deploy leaves for people and scripts: URLs, addresses, names — printed at the end of deploy and
 * written to .clinica/outputs.<stage>.json. Recomputed from AWS on every deploy; never read back as truth.
 */
import { join } from 'node:path';
import { reminderSender } from '../config/mail.js';
import { writeJsonFile } from '../json-file.js';
import type { InfraContext } from './context.js';
import { websiteUrl } from './names.js';
import { httpsDomain, staffUrl } from './serving.js';
import { dkimRecords, sesQuota, sesSummary, type DnsRecord, type SesState } from './ses.js';

export interface Outputs {
  stage: string;
  region: string;
  account: string;
  deployedAt: string;
  websiteUrl: string;
  backend: {
    instanceId?: string;
    state?: string;
    privateIp?: string;
    publicIp?: string;
    /** http://<private ip>:<port>/ — from the clinic network over a VPN or Direct Connect */
    privateUrl?: string;
    /** http://<public ip>:<port>/ — reachable only from network.clinicCidrs */
    publicUrl?: string;
    release?: string;
  };
  /** with network.domain: the staff page's address, and the NS records the registrar must hold */
  staff?: { url: string; zone?: string; nameServers: string[]; elasticIp?: string };
  functions: { imageProcessor: string; reminders: string; answers: string };
  /** the patients' answer page (its function URL), the address the reminders' links point to */
  answerPage?: string;
  buckets: { data: string; site: string };
  mail: {
    sender: string;
    status: string;
    quota: string;
    /** Easy DKIM's CNAME records for the sender's domain, to publish in its DNS until they are verified */
    dkimRecords?: DnsRecord[];
  };
}

/** The site's https address through CloudFront: site.domain, else the distribution's *.cloudfront.net name. */
export function siteHttpsUrl(ctx: Pick<InfraContext, 'config' | 'facts'>): string | undefined {
  if (ctx.config.site?.domain) return `https://${ctx.config.site.domain}/`;
  return ctx.facts.distribution?.domainName ? `https://${ctx.facts.distribution.domainName}/` : undefined;
}

export function computeOutputs(ctx: InfraContext, ses: SesState | undefined, now = new Date()): Outputs {
  const i = ctx.facts.instance;
  const port = ctx.config.network.serverPort;
  return {
    stage: ctx.config.stage,
    region: ctx.arns.region,
    account: ctx.arns.account,
    deployedAt: now.toISOString(),
    websiteUrl: ctx.config.site?.url ?? siteHttpsUrl(ctx) ?? websiteUrl(ctx.names.siteBucket, ctx.arns.region, ctx.target.endpoint),
    backend: {
      instanceId: i?.id,
      state: i?.state,
      privateIp: i?.privateIp,
      publicIp: i?.publicIp,
      privateUrl: i?.privateIp ? `http://${i.privateIp}:${port}/` : undefined,
      publicUrl: i?.publicIp ? `http://${i.publicIp}:${port}/` : undefined,
      release: ctx.facts.serverRelease,
    },
    ...(httpsDomain(ctx.config)
      ? { staff: { url: staffUrl(ctx.config, undefined)!, zone: ctx.facts.zoneName, nameServers: ctx.facts.nameServers ?? [], elasticIp: ctx.facts.elasticIp?.publicIp } }
      : {}),
    functions: { imageProcessor: ctx.names.imageProcessorFunction, reminders: ctx.names.remindersFunction, answers: ctx.names.answersFunction },
    ...(ctx.facts.answersUrl ? { answerPage: ctx.facts.answersUrl } : {}),
    buckets: { data: ctx.names.dataBucket, site: ctx.names.siteBucket },
    mail: {
      sender: reminderSender(ctx.config),
      status: ses ? sesSummary(ses) : 'unknown',
      quota: ses && !ses.unknown ? sesQuota(ses) : 'unknown',
      ...(ses?.dkim?.tokens.length ? { dkimRecords: dkimRecords(ses.domain, ses.dkim.tokens) } : {}),
    },
  };
}

export const outputsFile = (stateDir: string, stage: string) => join(stateDir, `outputs.${stage}.json`);

export async function writeOutputs(stateDir: string, outputs: Outputs): Promise<string> {
  const file = outputsFile(stateDir, outputs.stage);
  await writeJsonFile(file, outputs);
  return file;
}

/**
 * The embedded stack behind `clinica dev` (and the integration tests): local S3 and SES, the buckets, and the
 * components later issues plug in (the backend, the image-processor wired to S3 events, the site), then the
 * demo seeders. Everything runs in this process except s3rver (a child, see s3-server.ts).
 */
import { join } from 'node:path';
import { rm } from 'node:fs/promises';
import type { AwsTarget } from '../aws/clients.js';
import { s3Client } from '../aws/clients.js';
import { localS3Where } from '../aws/errors.js';
import type { ResolvedConfig } from '../config/load.js';
import type { Log } from '../log.js';
import { Store } from '../store/store.js';
import { devDir, localTarget, removeEndpoints, writeEndpoints, type LocalEndpoints } from './endpoints.js';
import { startLocalS3, type LocalS3 } from './s3-server.js';
import { startLocalSes, type LocalSes } from './ses-server.js';
import { components } from './components.js';
import { seeders } from './demo.js';

export interface DevContext {
  config: ResolvedConfig;
  target: AwsTarget;
  s3: LocalS3;
  ses: LocalSes;
  dataStore: Store;
  siteStore: Store;
  log: Log;
  host: string;
  /** the staff backend's port (0 = any free one) */
  serverPort: number;
  /** the patients' answer page's port (0 = any free one) */
  answersPort: number;
  /** the WhatsApp outbox page's port (0 = any free one); orAnyFree: a default, so another port when it is taken */
  whatsappPort: { port: number; orAnyFree?: boolean };
  /** where this stack keeps its files (.clinica/dev) */
  dir: string;
  /** facts components publish for the others and for endpoints.json (server URL, site URL, …) */
  endpoints: Partial<LocalEndpoints> & { extra: Record<string, string> };
}

export interface StartedComponent {
  /** rows for the summary table */
  urls?: { name: string; url: string }[];
  stop?(): Promise<void>;
}

export interface DevComponent {
  name: string;
  start(ctx: DevContext): Promise<StartedComponent | void>;
}

export interface DemoSeeder {
  name: string;
  seed(ctx: DevContext, now: Date): Promise<{ summary: string }>;
}

export interface LocalStackOptions {
  config: ResolvedConfig;
  log: Log;
  host?: string;
  s3Port?: number;
  sesPort?: number;
  serverPort?: number;
  /** default 0 (any free port); clinica dev passes --answers-port, else the backend's port + 2 */
  answersPort?: number;
  /** default 0 (any free port); clinica dev passes --whatsapp-port, else the backend's port + 3 (any free port when
   * that one is taken) */
  whatsappPort?: { port: number; orAnyFree?: boolean };
  /** data folder; default `.clinica/dev` beside the config */
  dir?: string;
  reset?: boolean;
  /** publish endpoints.json for other commands (clinica dev does; tests usually don't) */
  publish?: boolean;
  /** start the plug-in components (backend, image processor, site); default true */
  withComponents?: boolean;
}

export interface LocalStack extends DevContext {
  urls: { name: string; url: string }[];
  /** runs the demo's seeders in order; `only` a few of them (a test that needs the dentists and the admin) */
  seedDemo(now?: Date, only?: DemoSeeder[]): Promise<{ name: string; summary: string }[]>;
  stop(): Promise<void>;
}

export async function startLocalStack(options: LocalStackOptions): Promise<LocalStack> {
  const { config, log } = options;
  const host = options.host ?? '127.0.0.1';
  const dir = options.dir ?? devDir(config.stateDir);
  if (options.reset) await rm(dir, { recursive: true, force: true });
  const stops: (() => Promise<void>)[] = [];
  const stopAll = async () => {
    for (const stop of stops.reverse()) await stop().catch((err) => log.warn(`stopping: ${(err as Error).message}`));
    stops.length = 0;
  };
  try {
    const s3 = await startLocalS3({ directory: join(dir, 's3'), host, port: options.s3Port ?? 0, region: config.aws.region, log });
    stops.push(() => s3.stop());
    const ses = await startLocalSes({ host, port: options.sesPort ?? 0, directory: join(dir, 'ses') });
    stops.push(() => ses.stop());
    const target = localTarget({ s3: s3.endpoint, ses: ses.endpoint, region: config.aws.region });
    const client = await s3Client(target);
    const where = localS3Where(s3.endpoint);
    const dataStore = new Store(client, config.names.dataBucket, where);
    const siteStore = new Store(client, config.names.siteBucket, where);
    await dataStore.ensureBucket();
    await dataStore.enableVersioning();
    await siteStore.ensureBucket();
    const ctx: DevContext = {
      config, target, s3, ses, dataStore, siteStore, log, host, dir,
      serverPort: options.serverPort ?? config.network.serverPort,
      answersPort: options.answersPort ?? 0,
      whatsappPort: options.whatsappPort ?? { port: 0 },
      endpoints: { extra: {} },
    };
    const urls = [
      { name: 'S3 endpoint', url: s3.endpoint },
      { name: 'E-mail outbox (local SES)', url: ses.outbox },
    ];
    if (options.withComponents !== false) {
      for (const component of components) {
        const started = await component.start(ctx);
        if (started?.stop) stops.push(started.stop);
        urls.push(...(started?.urls ?? []));
      }
    }
    const endpoints: LocalEndpoints = {
      pid: process.pid,
      startedAt: new Date().toISOString(),
      region: config.aws.region,
      s3: s3.endpoint,
      ses: ses.endpoint,
      outbox: ses.outbox,
      dataBucket: config.names.dataBucket,
      siteBucket: config.names.siteBucket,
      ...ctx.endpoints,
    };
    if (options.publish) {
      await writeEndpoints(config.stateDir, endpoints);
      stops.unshift(() => removeEndpoints(config.stateDir));
    }
    return {
      ...ctx,
      urls,
      async seedDemo(now = new Date(), only = seeders) {
        const results = [];
        for (const seeder of only) results.push({ name: seeder.name, ...(await seeder.seed(ctx, now)) });
        return results;
      },
      stop: stopAll,
    };
  } catch (err) {
    await stopAll();
    throw err;
  }
}

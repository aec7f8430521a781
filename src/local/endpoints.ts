/**
 * Where `clinica dev` tells the other commands how to reach it: `.clinica/dev/endpoints.json`.
 * With target `local`, every command reads this file, so `clinica patients …` in a second terminal talks to
 * the running stack through the same SDK code paths as on AWS.
 */
import { readFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { LOCAL_CREDENTIALS, type AwsTarget } from '../aws/clients.js';
import { ClinicaError } from '../errors.js';
import { writeJsonFile } from '../json-file.js';

export interface LocalEndpoints {
  pid: number;
  startedAt: string;
  region: string;
  s3: string;
  ses: string;
  outbox: string;
  /** the staff backend, once it runs in dev */
  server?: string;
  /** the public site (served by the local S3's website mode) */
  site?: string;
  dataBucket: string;
  siteBucket: string;
  /** extra facts later components publish (e.g. a demo staff token's file) */
  extra?: Record<string, string>;
}

export const devDir = (stateDir: string) => join(stateDir, 'dev');
export const endpointsFile = (stateDir: string) => join(devDir(stateDir), 'endpoints.json');

/** Publishes the endpoints: written whole (dev rewrites them when a child restarts, while commands read them). */
export async function writeEndpoints(stateDir: string, endpoints: LocalEndpoints): Promise<void> {
  await writeJsonFile(endpointsFile(stateDir), endpoints);
}

export async function removeEndpoints(stateDir: string, pid = process.pid): Promise<void> {
  const current = readEndpointsFile(stateDir);
  if (current && current.pid !== pid) return; // another stack took over the folder
  await rm(endpointsFile(stateDir), { force: true });
}

function readEndpointsFile(stateDir: string): LocalEndpoints | undefined {
  try {
    return JSON.parse(readFileSync(endpointsFile(stateDir), 'utf8')) as LocalEndpoints;
  } catch {
    return undefined;
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

const notRunning = (why: string) =>
  new ClinicaError('unavailable', `clinica dev is not running (${why})`, {
    hint: 'start the local stack with `npx clinica dev` in another terminal, or set "target": "aws"',
  });

/** The running local stack's endpoints, or a one-line error saying how to start it. */
export function readEndpoints(stateDir: string): LocalEndpoints {
  const endpoints = readEndpointsFile(stateDir);
  if (!endpoints) throw notRunning(`no ${endpointsFile(stateDir)}`);
  if (!alive(endpoints.pid)) throw notRunning(`its process ${endpoints.pid} has ended`);
  return endpoints;
}

/** The AwsTarget for the local stack: its S3 and SES endpoints, the credentials s3rver accepts. */
export function localTarget(endpoints: Pick<LocalEndpoints, 's3' | 'ses' | 'region'>): AwsTarget {
  return {
    region: endpoints.region,
    endpoints: { s3: endpoints.s3, ses: endpoints.ses },
    credentials: { ...LOCAL_CREDENTIALS },
    s3Compatible: true,
    maxAttempts: 2,
    // the local SES never answers actions it does not implement: don't hang on them
    requestTimeoutMs: 15_000,
  };
}

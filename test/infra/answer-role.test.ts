/**
 * The answer page's IAM role against what its handler really does: every S3 call the handler makes over the
 * local S3 (first link ever, page, confirm, cancel, reschedule, second click) is recorded and must be allowed
 * by the role's policy — with If-None-Match where the policy asks for it. A new record the handler starts to
 * touch fails here before it fails on AWS with a 403.
 */
import type { S3Client } from '@aws-sdk/client-s3';
import { describe, expect, it } from 'vitest';
import { ANSWER_KEY_OBJECT, answerLinkKey, signAnswerToken } from '../../src/clinic/answer-link.js';
import type { InfraContext } from '../../src/infra/context.js';
import { rolePolicy } from '../../src/infra/iam.js';
import { infraNames } from '../../src/infra/names.js';
import type { Statement } from '../../src/infra/policy-document.js';
import { memoryLog } from '../../src/log.js';
import { handleAnswerRequest } from '../../src/lambdas/patient-answers.js';
import { Store } from '../../src/store/store.js';
import { addPatient, book, sp } from '../helpers/reminder-seed.js';
import { recordS3Calls } from '../helpers/s3-calls.js';
import { useTestStack } from '../helpers/stack.js';

const stack = useTestStack({ publish: false });

interface S3Call {
  action: string;
  key?: string;
  ifNoneMatch?: string;
}

/** The S3 calls made through `client` while `fn` runs: the IAM action, the key, the If-None-Match header. */
async function recording(client: S3Client, fn: () => Promise<void>): Promise<S3Call[]> {
  const actions: Record<string, string> = { GetObjectCommand: 's3:GetObject', PutObjectCommand: 's3:PutObject', HeadObjectCommand: 's3:GetObject', ListObjectsV2Command: 's3:ListBucket', DeleteObjectCommand: 's3:DeleteObject' };
  const { calls } = await recordS3Calls(client, fn);
  return calls.map((c) => ({ action: actions[c.command] ?? c.command, key: c.key, ifNoneMatch: c.ifNoneMatch }));
}

/** Whether an Allow statement of the policy covers the call (resources as globs; the Null condition on s3:if-none-match). */
function allowed(statements: Statement[], bucket: string, call: S3Call): boolean {
  const target = call.key === undefined ? `arn:aws:s3:::${bucket}` : `arn:aws:s3:::${bucket}/${call.key}`;
  const glob = (pattern: string) => new RegExp(`^${pattern.split('*').map((p) => p.replace(/[.?+^$()[\]{}|\\/]/g, '\\$&')).join('.*')}$`);
  return statements.some((s) => {
    if (s.Effect !== 'Allow' || ![s.Action].flat().includes(call.action)) return false;
    if (![s.Resource].flat().some((r) => glob(String(r)).test(target))) return false;
    const needsHeader = (s.Condition as { Null?: Record<string, string> } | undefined)?.Null?.['s3:if-none-match'] === 'false';
    return !needsHeader || call.ifNoneMatch !== undefined;
  });
}

describe("the answer page's role", () => {
  it('allows every call the handler makes, from the first link ever to a second click', async () => {
    const bucket = stack.config.names.dataBucket;
    const ctx = { config: stack.config, names: infraNames(stack.config), arns: { partition: 'aws', region: 'sa-east-1', account: '123456789012' } } as unknown as InfraContext;
    const statements = rolePolicy(ctx, 'answers').Statement;
    const patient = await addPatient(stack.dataStore, { fullName: 'Helena Prado', cpf: undefined, phone: '+55 11 98888-1111' });
    const a = await book(stack.dataStore, patient.id, '2030-05-02 09:00');
    const b = await book(stack.dataStore, patient.id, '2030-05-03 09:00');
    const c = await book(stack.dataStore, patient.id, '2030-05-04 09:00');
    // a store of its own (the key is cached per store), as a cold Lambda, and no key yet: it makes it
    await stack.dataStore.delete(ANSWER_KEY_OBJECT);
    const store = new Store(stack.dataStore.s3, bucket);
    const deps = { store, config: stack.config, log: memoryLog(), now: () => sp('2030-05-01 10:00') };
    const calls = await recording(store.s3, async () => {
      const key = await answerLinkKey(store);
      for (const [appt, action] of [[a, 'confirm'], [b, 'cancel'], [c, 'reschedule'], [a, 'cancel']] as const) {
        const t = signAnswerToken(key, appt.id, new Date(appt.start));
        const page = await handleAnswerRequest({ rawQueryString: `t=${t}`, requestContext: { http: { method: 'GET' } } }, deps);
        const body = Buffer.from(new URLSearchParams({ t, action, reason: 'viagem' }).toString()).toString('base64');
        const done = await handleAnswerRequest({ requestContext: { http: { method: 'POST' } }, body, isBase64Encoded: true }, deps);
        expect([page.statusCode, done.statusCode]).toEqual([200, 200]);
      }
    });
    // the handler did write: the key once, three answers, the appointments, audit entries
    const puts = calls.filter((x) => x.action === 's3:PutObject').map((x) => x.key!.split('/')[0]);
    expect(new Set(puts)).toEqual(new Set(['keys', 'answers', 'appointments', 'index', 'locks', 'audit']));
    expect(calls.filter((x) => !allowed(statements, bucket, x))).toEqual([]);
  });
});

/**
 * image-processor's on-failure queue by recorded calls with their parameters: the queue (SSE-SQS, 14 days, a
 * policy letting only the function's role send), the destination set after the function, the role's one
 * sqs:SendMessage; drift repaired; status shows the depth and warns; `clinica images retry-failed` against a
 * queue of two events where one fails again: processed, deleted only on success, reported, safe to re-run.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { pending } from '../../src/infra/plan.js';
import { planDeploy } from '../../src/infra/stack.js';
import { retryFailed } from '../../src/commands/images/retry-failed.js';
import { fakeAws, type FakeAws } from './fake-aws.js';
import { apply, fakeBundles, hosted, openTestInfra, testConfig, testUi } from './helpers.js';

let fake: FakeAws;
beforeEach(() => {
  fake = fakeAws();
});
afterEach(() => fake.restore());

const QUEUE = 'sorriso-prod-image-failures';
const QUEUE_ARN = `arn:aws:sqs:sa-east-1:123456789012:${QUEUE}`;
const ROLE_ARN = 'arn:aws:iam::123456789012:role/sorriso-prod-image-processor';
const FUNCTION = 'sorriso-prod-image-processor';

/** A failure record as Lambda sends it to an on-failure destination. */
const failureRecord = (key: string, error: string) => ({
  version: '1.0',
  timestamp: '2026-12-06T10:00:00.000Z',
  requestContext: { requestId: `req-${key}`, functionArn: `arn:aws:lambda:sa-east-1:123456789012:function:${FUNCTION}:$LATEST`, condition: 'RetriesExhausted', approximateInvokeCount: 3 },
  requestPayload: { Records: [{ eventSource: 'aws:s3', eventName: 'ObjectCreated:Put', s3: { bucket: { name: 'sorriso-prod-data' }, object: { key } } }] },
  responseContext: { statusCode: 200, executedVersion: '$LATEST', functionError: 'Unhandled' },
  responsePayload: { errorType: 'TimeoutError', errorMessage: error },
});

describe("image-processor's on-failure queue (mocked AWS)", () => {
  it('deploy makes the queue before the function and sets it as the destination after, with exact parameters; a second deploy changes nothing', async () => {
    const config = await testConfig();
    await apply(await planDeploy(await openTestInfra(fake, config)));
    const order = fake.mutating().map((c) => c.command);
    expect(order.indexOf('CreateQueue')).toBeLessThan(order.indexOf('CreateFunction'));
    expect(order.indexOf('PutFunctionEventInvokeConfig')).toBeGreaterThan(order.lastIndexOf('CreateFunction'));

    const [create] = fake.named('CreateQueue');
    const { Policy, ...attributes } = create!.input.Attributes;
    expect(create!.input).toMatchObject({ QueueName: QUEUE, tags: { 'clinica:clinic': 'sorriso', 'clinica:stage': 'prod', 'clinica:component': 'image-processor' } });
    expect(attributes).toEqual({ SqsManagedSseEnabled: 'true', MessageRetentionPeriod: '1209600' });
    expect(JSON.parse(Policy).Statement).toEqual([
      { Sid: 'ImageProcessorReportsFailures', Effect: 'Allow', Principal: { AWS: ROLE_ARN }, Action: 'sqs:SendMessage', Resource: QUEUE_ARN },
      { Sid: 'NoOtherSender', Effect: 'Deny', Principal: '*', Action: 'sqs:SendMessage', Resource: QUEUE_ARN, Condition: { ArnNotEquals: { 'aws:PrincipalArn': ROLE_ARN } } },
      { Sid: 'DenyInsecureTransport', Effect: 'Deny', Principal: '*', Action: 'sqs:*', Resource: QUEUE_ARN, Condition: { Bool: { 'aws:SecureTransport': 'false' } } },
    ]);
    expect(fake.named('PutFunctionEventInvokeConfig').map((c) => c.input)).toEqual([
      { FunctionName: FUNCTION, MaximumRetryAttempts: 2, DestinationConfig: { OnFailure: { Destination: QUEUE_ARN } } },
    ]);
    const role = JSON.parse(decodeURIComponent(fake.state.roles.get(FUNCTION)!.inline.get('clinica')!));
    expect(role.Statement.filter((st: { Action: string | string[] }) => [st.Action].flat().some((a) => a.startsWith('sqs:')))).toEqual([
      { Sid: 'ReportFailures', Effect: 'Allow', Action: 'sqs:SendMessage', Resource: QUEUE_ARN },
    ]);

    fake.clear();
    const again = await planDeploy(await openTestInfra(fake, config));
    expect(pending(again)).toEqual([]);
    expect(again.steps.find((s) => s.id === 'image-failures')!.why).toBe('SSE-SQS, 14 days, only image-processor sends; 0 failed events waiting');
    expect(again.warnings!.filter((w) => w.includes('retry-failed'))).toEqual([]);
  });

  it('repairs drift: retention shortened, policy removed, destination taken off the function', async () => {
    const config = await testConfig();
    await apply(await planDeploy(await openTestInfra(fake, config)));
    const queue = fake.state.queues.get(QUEUE)!;
    queue.attributes.MessageRetentionPeriod = '345600';
    delete queue.attributes.Policy;
    delete fake.state.functions.get(FUNCTION)!.eventConfig;
    fake.clear();

    const plan = await planDeploy(await openTestInfra(fake, config));
    expect(pending(plan).map((s) => [s.id, s.action, s.why])).toEqual([
      ['image-failures', 'update', 'retention 4 → 14 days, no policy → only image-processor sends, TLS only'],
      ['image-failure-destination', 'create', 'not set: after 2 retries a failed event goes to the queue (not dropped)'],
    ]);
    await apply(plan);
    expect(fake.mutating().map((c) => [c.command, c.input])).toEqual([
      ['SetQueueAttributes', { QueueUrl: `https://sqs.sa-east-1.amazonaws.com/123456789012/${QUEUE}`, Attributes: { SqsManagedSseEnabled: 'true', MessageRetentionPeriod: '1209600', Policy: expect.any(String) } }],
      ['PutFunctionEventInvokeConfig', { FunctionName: FUNCTION, MaximumRetryAttempts: 2, DestinationConfig: { OnFailure: { Destination: QUEUE_ARN } } }],
    ]);
    fake.clear();
    expect(pending(await planDeploy(await openTestInfra(fake, config)))).toEqual([]);
  });

  it('status shows how many failed events wait, and warns when any do', async () => {
    const config = await testConfig();
    await apply(await planDeploy(await openTestInfra(fake, config)));
    const queue = fake.state.queues.get(QUEUE)!;
    queue.messages.push({ MessageId: 'm1', Body: '{}', visible: true }, { MessageId: 'm2', Body: '{}', visible: true });
    const plan = await planDeploy(await openTestInfra(fake, config));
    expect(pending(plan)).toEqual([]);
    expect(plan.steps.find((s) => s.id === 'image-failures')!.why).toBe('SSE-SQS, 14 days, only image-processor sends; 2 failed events waiting');
    expect(plan.warnings!.filter((w) => w.includes('retry-failed'))).toEqual([`2 uploaded images could not be processed (kept 14 days in ${QUEUE}): run \`clinica images retry-failed\``]);
  });
});

describe('clinica images retry-failed (mocked SQS and Lambda)', () => {
  const deps = { infra: { bundles: fakeBundles(), sleep: async () => {} } };

  it('processes each event again, deletes only what succeeded, reports the one that failed again (exit 3); a re-run retries only that one', async () => {
    const config = await testConfig();
    await apply(await planDeploy(await openTestInfra(fake, config)));
    const queue = fake.state.queues.get(QUEUE)!;
    const good = failureRecord('images/P-000001/I-1/original.jpg', 'S3 timed out');
    const bad = failureRecord('images/P-000002/I-2/original.png', 'throttled');
    queue.messages.push({ MessageId: 'm-good', Body: JSON.stringify(good), visible: true }, { MessageId: 'm-bad', Body: JSON.stringify(bad), visible: true });
    const invoked: unknown[] = [];
    fake.onInvoke((_fn, payload) => {
      invoked.push(payload);
      return payload.Records[0].s3.object.key.includes('I-2') ? { FunctionError: 'Unhandled', Payload: { errorType: 'Error', errorMessage: 'Input buffer contains unsupported image format' } } : { Payload: null };
    });
    fake.clear();

    const t = testUi({ json: true });
    expect(await hosted(retryFailed, { config: config.configPath, yes: true }, t.ui, deps)).toBe(3);
    expect(JSON.parse(t.out())).toEqual({
      retried: ['images/P-000001/I-1/original.jpg'],
      failed: [{ upload: 'images/P-000002/I-2/original.png', error: 'image-processor failed again: Input buffer contains unsupported image format' }],
    });
    // the original S3 events, as they were, to the function; only the successful message deleted
    expect(invoked).toEqual([good.requestPayload, bad.requestPayload]);
    const sqsAndLambda = fake.calls.filter((c) => c.service === 'SQS' || c.command === 'Invoke');
    expect(sqsAndLambda.map((c) => c.command)).toEqual(['GetQueueUrl', 'ReceiveMessage', 'ReceiveMessage', 'Invoke', 'DeleteMessage', 'Invoke']);
    expect(sqsAndLambda[1]!.input).toEqual({ QueueUrl: `https://sqs.sa-east-1.amazonaws.com/123456789012/${QUEUE}`, MaxNumberOfMessages: 10, WaitTimeSeconds: 1, VisibilityTimeout: 900 });
    expect(sqsAndLambda[3]!.input).toMatchObject({ FunctionName: FUNCTION, InvocationType: 'RequestResponse' });
    expect(sqsAndLambda[4]!.input).toEqual({ QueueUrl: expect.stringContaining(QUEUE), ReceiptHandle: fake.calls.find((c) => c.command === 'DeleteMessage')!.input.ReceiptHandle });
    expect(queue.messages.map((m) => m.MessageId)).toEqual(['m-bad']);

    // once visible again (after its visibility timeout) the next run retries it alone; now it goes through
    queue.messages[0]!.visible = true;
    fake.onInvoke(() => ({ Payload: null }));
    fake.clear();
    const again = testUi();
    expect(await hosted(retryFailed, { config: config.configPath, yes: true }, again.ui, deps)).toBe(0);
    expect(again.out()).toContain('images/P-000002/I-2/original.png');
    expect(fake.named('Invoke')).toHaveLength(1);
    expect(queue.messages).toEqual([]);

    // and with nothing left it says so
    const empty = testUi();
    expect(await hosted(retryFailed, { config: config.configPath, yes: true }, empty.ui, deps)).toBe(0);
    expect(empty.out()).toContain('no failed image events: every upload was processed');
  });

  it('on target local: one line naming the target and the fix, before any AWS call', async () => {
    const local = await testConfig({ target: 'local' });
    await expect(hosted(retryFailed, { config: local.configPath, yes: true }, testUi().ui, deps)).rejects.toThrow("images retry-failed reads the AWS stage's queue of failed image events, and the config's target is local");
    expect(fake.calls).toEqual([]);
  });

  it('a stage without the queue: one line naming it and the fix', async () => {
    const config = await testConfig();
    await expect(hosted(retryFailed, { config: config.configPath, yes: true }, testUi().ui, deps)).rejects.toThrow(`stage prod has no queue of failed image events (${QUEUE})`);
  });
});

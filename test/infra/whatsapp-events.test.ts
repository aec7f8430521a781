/* eslint-disable @typescript-eslint/no-explicit-any -- AWS requests are plain JSON in these assertions */
/**
 * WhatsApp at deploy: with whatsapp.eventTopicArn, the whatsapp-events Lambda with its own least-privilege
 * role, the SNS invoke permission limited to the topic, and the topic's subscription — created in that order,
 * seen as up to date afterwards, re-added when removed by hand (drift), and unsubscribed by destroy. The
 * reminders role may send WhatsApp from the configured number only.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { PACKAGE_ROOT, buildBundle } from '../../src/infra/bundle.js';
import { rolePolicy } from '../../src/infra/iam.js';
import { unzip } from '../helpers/zip.js';
import { pending } from '../../src/infra/plan.js';
import { planDeploy, planDestroy } from '../../src/infra/stack.js';
import { fakeAws, type FakeAws } from './fake-aws.js';
import { apply, openTestInfra, testConfig } from './helpers.js';

let fake: FakeAws;
beforeEach(() => {
  fake = fakeAws();
});
afterEach(() => fake.restore());

const topic = 'arn:aws:sns:sa-east-1:123456789012:whatsapp-events';
const whatsapp = { phoneNumberId: 'phone-number-id-0123456789abcdef0123456789abcdef', eventTopicArn: topic };
const fn = 'sorriso-prod-whatsapp-events';
const fnArn = `arn:aws:lambda:sa-east-1:123456789012:function:${fn}`;

describe('the WhatsApp events wiring', () => {
  it('creates the role, the function, the SNS permission and the subscription, in that order', async () => {
    const config = await testConfig({ whatsapp });
    const plan = await planDeploy(await openTestInfra(fake, config));
    const ids = plan.steps.map((s) => s.id);
    expect(ids.indexOf('role:whatsapp-events')).toBeGreaterThan(-1);
    expect(ids.indexOf('role:whatsapp-events')).toBeLessThan(ids.indexOf('lambda:whatsapp-events'));
    expect(ids.indexOf('lambda:whatsapp-events')).toBeLessThan(ids.indexOf('whatsapp-events'));
    await apply(plan);

    const calls = fake.mutating().map((c) => `${c.service} ${c.command} ${c.input.RoleName ?? c.input.FunctionName ?? c.input.TopicArn ?? ''}`);
    const mine = calls.filter((c) => c.includes('whatsapp-events'));
    expect(mine.filter((c) => /CreateRole|CreateFunction|AddPermission|Subscribe/.test(c))).toEqual([
      `IAM CreateRole ${fn}`,
      `Lambda CreateFunction ${fn}`,
      `Lambda AddPermission ${fn}`,
      `SNS Subscribe ${topic}`,
    ]);
    expect(fake.named('AddPermission').find((c) => c.input.FunctionName === fn)!.input).toEqual({
      FunctionName: fn,
      StatementId: 'clinica-sns-whatsapp',
      Action: 'lambda:InvokeFunction',
      Principal: 'sns.amazonaws.com',
      SourceArn: topic,
    });
    expect(fake.named('Subscribe')[0]!.input).toEqual({ TopicArn: topic, Protocol: 'lambda', Endpoint: fnArn, ReturnSubscriptionArn: true });
    expect(fake.named('CreateFunction').find((c) => c.input.FunctionName === fn)!.input).toMatchObject({ Handler: 'index.handler', MemorySize: 256, Timeout: 30 });

    // the second deploy finds it all in place
    fake.clear();
    const again = await planDeploy(await openTestInfra(fake, config));
    expect(pending(again)).toEqual([]);
  });

  it('a subscription removed by hand is drift, and deploy subscribes again', async () => {
    const config = await testConfig({ whatsapp });
    await apply(await planDeploy(await openTestInfra(fake, config)));
    fake.state.subscriptions.clear();
    fake.clear();
    const plan = await planDeploy(await openTestInfra(fake, config));
    expect(pending(plan).map((s) => [s.id, s.drift, s.why])).toEqual([['whatsapp-events', true, `subscribe ${fn} to ${topic}`]]);
    await apply(plan);
    expect(fake.mutating().map((c) => `${c.service} ${c.command}`)).toEqual(['SNS Subscribe']);
  });

  it('destroy unsubscribes before deleting the function; the topic stays', async () => {
    const config = await testConfig({ whatsapp });
    await apply(await planDeploy(await openTestInfra(fake, config)));
    fake.clear();
    await apply(await planDestroy(await openTestInfra(fake, config)));
    const calls = fake.mutating().map((c) => `${c.service} ${c.command}`);
    expect(calls.indexOf('SNS Unsubscribe')).toBeGreaterThan(-1);
    expect(calls.indexOf('SNS Unsubscribe')).toBeLessThan(calls.findIndex((c, i) => c === 'Lambda DeleteFunction' && fake.mutating()[i]!.input.FunctionName === fn));
    expect(fake.state.subscriptions.size).toBe(0);
  });

  it('without whatsapp.eventTopicArn: no function, no role, no SNS call', async () => {
    const config = await testConfig({ whatsapp: { phoneNumberId: whatsapp.phoneNumberId } });
    await apply(await planDeploy(await openTestInfra(fake, config)));
    expect(fake.calls.filter((c) => c.service === 'SNS' || JSON.stringify(c.input).includes('whatsapp-events'))).toEqual([]);
  });

  it('the events role reads and writes only what a reply touches; the reminders role sends from the configured number only', async () => {
    const ctx = await openTestInfra(fake, await testConfig({ whatsapp }));
    const events = rolePolicy(ctx, 'whatsapp-events');
    const statements = events.Statement as any[];
    expect(statements.find((s) => s.Sid === 'ReadAnswerLinkKey')).toMatchObject({ Action: 's3:GetObject', Resource: 'arn:aws:s3:::sorriso-prod-data/keys/answer-link.json' });
    expect(JSON.stringify(events)).not.toMatch(/ses:|social-messaging|images\/|staff\//);
    const send = (rolePolicy(ctx, 'reminders').Statement as any[]).find((s) => s.Sid === 'SendWhatsApp');
    expect(send).toEqual({
      Sid: 'SendWhatsApp',
      Effect: 'Allow',
      Action: 'social-messaging:SendWhatsAppMessage',
      Resource: 'arn:aws:social-messaging:sa-east-1:123456789012:phone-number-id/0123456789abcdef0123456789abcdef',
    });
  });

  it('the function bundle builds from src/lambdas/whatsapp-events.ts alone: no native modules, no SNS client', async () => {
    const bundle = await buildBundle('whatsapp-events', { config: { aws: { architecture: 'arm64' } as never, stateDir: join(PACKAGE_ROOT, '.clinica') }, buildDir: join(PACKAGE_ROOT, '.clinica', 'build') });
    const files = await unzip(bundle.zip);
    expect([...files.keys()].filter((n) => !n.endsWith('.map'))).toEqual(['index.mjs']);
    const code = files.get('index.mjs')!.toString('utf8');
    expect(code).toContain('whatsAppWebhookEntry');
    expect(code).not.toMatch(/SubscribeCommand|SendWhatsAppMessageCommand/);
    expect(bundle.sharp).toBe(false);
  });
});

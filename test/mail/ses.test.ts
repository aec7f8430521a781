import { describe, expect, it } from 'vitest';
import { ClinicaError } from '../../src/errors.js';
import { classifySesError, RateLimiter, resolveSendRate, SendFailure, SesSender } from '../../src/mail/ses.js';

const awsError = (name: string, message: string, status: number, fault: 'client' | 'server' = status >= 500 ? 'server' : 'client') =>
  Object.assign(new Error(message), { name, $fault: fault, $metadata: { httpStatusCode: status } });

/** A fake SES client: answers each send from a script of outcomes (an Error is thrown). */
function scripted(outcomes: (Error | string)[]) {
  const calls: { name: string; input: unknown }[] = [];
  return {
    calls,
    send: async (command: { constructor: { name: string }; input: unknown }) => {
      calls.push({ name: command.constructor.name, input: command.input });
      const next = outcomes.shift() ?? 'ok';
      if (next instanceof Error) throw next;
      return { MessageId: next };
    },
  };
}

const noSleep = async () => {};

describe('RateLimiter', () => {
  it('spaces slots one interval apart, first come first served', async () => {
    let now = 0;
    const waits: number[] = [];
    const limiter = new RateLimiter(4, () => now, async (ms) => void waits.push(ms));
    await Promise.all([limiter.acquire(), limiter.acquire(), limiter.acquire()]);
    expect(waits).toEqual([250, 500]);
    now = 10_000; // idle for a long time: no burst credit is saved up
    waits.length = 0;
    await Promise.all([limiter.acquire(), limiter.acquire()]);
    expect(waits).toEqual([250]);
    limiter.pause(1000);
    await limiter.acquire();
    expect(waits.at(-1)).toBe(1500);
  });
});

describe('classifySesError', () => {
  it('retries throttling and server faults; fails rejections at once; stops on account problems', () => {
    expect(classifySesError(awsError('Throttling', 'Maximum sending rate exceeded.', 400)).kind).toBe('retry');
    expect(classifySesError(awsError('InternalFailure', 'oops', 500)).kind).toBe('retry');
    expect(classifySesError(awsError('ServiceUnavailable', 'busy', 503)).kind).toBe('retry');
    expect(classifySesError(awsError('MessageRejected', 'Address blacklisted: bad@x.com', 400)).kind).toBe('permanent');
    // a recipient "not verified" is the SES sandbox, not a bad address: the account's problem, said without the address
    const sandbox = classifySesError(
      awsError('MessageRejected', 'Email address is not verified. The following identities failed the check in region SA-EAST-1: maria@example.com', 400),
      'Clínica <lembretes@clinica.example>',
    );
    expect(sandbox).toMatchObject({ kind: 'systemic', error: { kind: 'config' } });
    expect(sandbox.error?.message).toMatch(/SES sandbox.*failed the check in region SA-EAST-1\)$/);
    expect(sandbox.error?.message).not.toContain('maria@');
    expect(sandbox.error?.hint).toMatch(/production access/);
    expect(classifySesError(awsError('InvalidParameterValue', "Missing final '@domain'", 400)).kind).toBe('permanent');
    const sender = classifySesError(awsError('MessageRejected', 'Email address is not verified. The following identities failed the check: lembretes@clinica.example', 400), 'Clínica <lembretes@clinica.example>');
    expect(sender.kind).toBe('systemic');
    expect(sender.error?.message).toMatch(/rejected the sender lembretes@clinica.example/);
    expect(classifySesError(awsError('Throttling', 'Daily message quota exceeded.', 400)).kind).toBe('systemic');
    expect(classifySesError(awsError('AccountSendingPausedException', 'paused', 400)).kind).toBe('systemic');
    expect(classifySesError(awsError('InvalidClientTokenId', 'bad token', 403)).error?.kind).toBe('credentials');
    expect(classifySesError(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' })).kind).toBe('retry');
  });
});

describe('SesSender', () => {
  it('asks `expired` once the slot comes: past the deadline, nothing goes to SES (also on a retry)', async () => {
    let now = 0;
    const sleep = async (ms: number) => void (now += ms);
    const deadline = 1_500;
    const expired = () => now >= deadline;
    const client = scripted(['m-1', 'm-2']);
    const sender = new SesSender({ client, ratePerSecond: 1, clock: () => now, sleep });
    expect(await sender.send(Buffer.from('a'), 'a@example.com', { expired })).toMatchObject({ messageId: 'm-1' }); // slot at 0
    expect(await sender.send(Buffer.from('b'), 'b@example.com', { expired })).toMatchObject({ messageId: 'm-2' }); // slot at 1000
    const late = (await sender.send(Buffer.from('c'), 'c@example.com', { expired }).catch((e) => e)) as SendFailure; // slot at 2000
    expect(late).toBeInstanceOf(SendFailure);
    expect(late).toMatchObject({ kind: 'expired', attempts: 0 });
    expect(client.calls).toHaveLength(2);

    // a throttled message whose backoff runs past the deadline is not tried again
    now = 0;
    const throttled = scripted([awsError('Throttling', 'Maximum sending rate exceeded.', 400)]);
    const retrying = new SesSender({ client: throttled, ratePerSecond: 1, clock: () => now, sleep, baseDelayMs: 2_000, random: () => 1 });
    const retry = (await retrying.send(Buffer.from('d'), 'd@example.com', { expired }).catch((e) => e)) as SendFailure;
    expect(retry).toMatchObject({ kind: 'expired', attempts: 1, code: 'Throttling' });
    expect(throttled.calls).toHaveLength(1);
  });

  it('retries throttling and 5xx with backoff, then succeeds', async () => {
    const client = scripted([awsError('Throttling', 'Maximum sending rate exceeded.', 400), awsError('InternalFailure', 'x', 500), 'm-1']);
    const delays: number[] = [];
    const sender = new SesSender({ client, ratePerSecond: 1000, sleep: async (ms) => void delays.push(ms), random: () => 1 });
    const result = await sender.send(Buffer.from('raw'), 'a@example.com');
    expect(result).toEqual({ messageId: 'm-1', attempts: 3 });
    expect(client.calls.map((c) => c.name)).toEqual(['SendRawEmailCommand', 'SendRawEmailCommand', 'SendRawEmailCommand']);
    expect(client.calls[0]!.input).toMatchObject({ Destinations: ['a@example.com'] });
    expect(delays).toEqual(expect.arrayContaining([250, 500])); // exponential backoff (jitter at its top), besides the limiter's waits
    expect(sender.stats).toMatchObject({ sent: 1, attempts: 3, throttled: 1, retried: 2 });
  });

  it('does not retry a permanent rejection', async () => {
    const client = scripted([awsError('MessageRejected', 'Address blacklisted.', 400)]);
    const sender = new SesSender({ client, ratePerSecond: 1000, sleep: noSleep });
    const err = await sender.send(Buffer.from('raw'), 'bad@example.com').catch((e) => e);
    expect(err).toBeInstanceOf(SendFailure);
    expect(err).toMatchObject({ kind: 'permanent', code: 'MessageRejected', attempts: 1 });
    expect(client.calls).toHaveLength(1);
  });

  it('gives up after maxAttempts (transient), and calls SES down after a run of such failures (systemic)', async () => {
    const client = scripted(Array.from({ length: 20 }, () => awsError('ServiceUnavailable', 'down', 503)));
    const sender = new SesSender({ client, ratePerSecond: 1000, sleep: noSleep, maxAttempts: 2, breakerThreshold: 3 });
    const kinds: string[] = [];
    for (let i = 0; i < 3; i++) kinds.push(((await sender.send(Buffer.from('r'), 'x@example.com').catch((e) => e)) as SendFailure).kind);
    expect(kinds).toEqual(['transient', 'transient', 'systemic']);
    expect(client.calls).toHaveLength(6);
  });

  it('stops at once on bad credentials', async () => {
    const client = scripted([awsError('InvalidClientTokenId', 'The security token included in the request is invalid.', 403)]);
    const sender = new SesSender({ client, ratePerSecond: 1000, sleep: noSleep });
    const err = (await sender.send(Buffer.from('r'), 'x@example.com').catch((e) => e)) as SendFailure;
    expect(err.kind).toBe('systemic');
    expect(err.error).toBeInstanceOf(ClinicaError);
    expect(err.error!.kind).toBe('credentials');
  });
});

describe('resolveSendRate', () => {
  it('never asks an emulator for its quota; config or the default there', async () => {
    const client = scripted([]);
    expect(await resolveSendRate(client, { emulator: true })).toEqual({ ratePerSecond: 10, source: 'default' });
    expect(await resolveSendRate(client, { emulator: true, configured: 50 })).toEqual({ ratePerSecond: 50, source: 'config' });
    expect(client.calls).toHaveLength(0);
  });

  it('on AWS: the account max send rate, capped by the config; 1/s when the quota cannot be read', async () => {
    const quota = { send: async () => ({ MaxSendRate: 14, Max24HourSend: 50_000, SentLast24Hours: 100 }) };
    expect(await resolveSendRate(quota, { emulator: false })).toEqual({ ratePerSecond: 14, source: 'quota', remaining24h: 49_900 });
    expect(await resolveSendRate(quota, { emulator: false, configured: 5 })).toMatchObject({ ratePerSecond: 5, source: 'config' });
    expect(await resolveSendRate(quota, { emulator: false, configured: 50 })).toMatchObject({ ratePerSecond: 14, source: 'quota' });
    const broken = { send: async () => Promise.reject(awsError('InternalFailure', 'x', 500)) };
    expect(await resolveSendRate(broken, { emulator: false })).toEqual({ ratePerSecond: 1, source: 'default' });
    // maxSendRate caps the account's rate; it does not stand in for it when the quota is unknown
    expect(await resolveSendRate(broken, { emulator: false, configured: 14 })).toEqual({ ratePerSecond: 1, source: 'default' });
    expect(await resolveSendRate(broken, { emulator: false, configured: 0.5 })).toEqual({ ratePerSecond: 0.5, source: 'config' });
    const denied = { send: async () => Promise.reject(awsError('AccessDenied', 'no', 403)) };
    await expect(resolveSendRate(denied, { emulator: false })).rejects.toMatchObject({ kind: 'forbidden' });
  });
});

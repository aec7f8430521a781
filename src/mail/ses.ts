/**
 * Sending raw e-mail through SES (v1 SendRawEmail) as a good citizen of the account's limits:
 *  - a client-side rate limiter paces sends at the account's max send rate (GetSendQuota on AWS; the config
 *    or a default on the local stack and other emulators, where GetSendQuota never answers);
 *  - throttling, 5xx and network hiccups are retried with exponential backoff and jitter (the SDK's own
 *    retries are off so this policy is the only one), and a throttle also slows every other send a little;
 *  - a permanent rejection (MessageRejected, an invalid address) fails that message at once, without retries;
 *  - an account-wide problem (credentials, access denied, sender not verified, sending paused, daily quota
 *    used up, SES unreachable) is "systemic": the caller should stop, since every next message would fail too.
 */
import type { SESClient } from '@aws-sdk/client-ses';
import { sesClient, type AwsTarget } from '../aws/clients.js';
import { describeAwsError } from '../aws/errors.js';
import { senderAddress } from '../config/mail.js';
import { ClinicaError, oneLine } from '../errors.js';
import { silentLog, type Log } from '../log.js';

/** Messages per second when nothing better is known: SES's sandbox rate. */
export const SANDBOX_SEND_RATE = 1;
/** Messages per second on the local stack or an emulator when the config sets none. */
export const EMULATOR_SEND_RATE = 10;

/** `expired`: not sent — the caller's deadline passed while the message waited for its slot (or a retry) */
export type SendFailureKind = 'permanent' | 'transient' | 'systemic' | 'expired';

export class SendFailure extends Error {
  constructor(
    readonly kind: SendFailureKind,
    message: string,
    readonly code: string | undefined,
    readonly attempts: number,
    /** for systemic failures: the one-line error to report (exit code included) */
    readonly error?: ClinicaError,
  ) {
    super(message);
    this.name = 'SendFailure';
  }
}

export interface SendResult {
  messageId: string;
  attempts: number;
}

export interface SendOptions {
  /**
   * Asked each time the message gets its slot, right before it goes to SES: true stops it there (a
   * SendFailure of kind `expired`, nothing sent). A Lambda near its timeout must not hand SES a message it
   * may not live to record as sent.
   */
  expired?: () => boolean;
}

const sleepFor = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Paces events at `ratePerSecond`, first come first served: each acquire() gets the next free slot, one
 * interval after the previous one (no bursts — SES counts per second and a burst above the rate is throttled).
 */
export class RateLimiter {
  private next = 0;
  readonly intervalMs: number;

  constructor(
    readonly ratePerSecond: number,
    private readonly clock: () => number = () => performance.now(),
    private readonly sleep: (ms: number) => Promise<void> = sleepFor,
  ) {
    if (!(ratePerSecond > 0)) throw new ClinicaError('config', `the send rate must be a positive number, got ${ratePerSecond}`);
    this.intervalMs = 1000 / ratePerSecond;
  }

  async acquire(): Promise<void> {
    const now = this.clock();
    const slot = Math.max(now, this.next);
    this.next = slot + this.intervalMs;
    if (slot > now) await this.sleep(slot - now);
  }

  /** Pushes every later slot back (after a throttle: let the account's bucket refill). */
  pause(ms: number): void {
    this.next = Math.max(this.next, this.clock()) + ms;
  }
}

interface SesErrorLike {
  name?: string;
  message?: string;
  $fault?: 'client' | 'server';
  $metadata?: { httpStatusCode?: number };
}

export interface Classified {
  kind: 'retry' | SendFailureKind;
  code: string;
  message: string;
  error?: ClinicaError;
}

const systemicCodes = new Set([
  'MailFromDomainNotVerifiedException',
  'ConfigurationSetDoesNotExistException',
  'ConfigurationSetSendingPausedException',
  'AccountSendingPausedException',
]);

/**
 * What to do about an SES error. `sender` is the configured From address: a MessageRejected that names it
 * ("Email address is not verified … lembretes@…") is the account's problem, not the recipient's.
 */
export function classifySesError(err: unknown, sender?: string): Classified {
  const e = (err ?? {}) as SesErrorLike;
  const code = e.name ?? 'Error';
  const message = (e.message ?? String(err)).split('\n')[0]!;
  const status = e.$metadata?.httpStatusCode;
  if (code === 'Throttling' || code === 'ThrottlingException' || code === 'TooManyRequestsException' || status === 429) {
    if (/daily message quota/i.test(message)) {
      return {
        kind: 'systemic',
        code,
        message,
        error: new ClinicaError('unavailable', `SES: the account's daily sending quota is used up (${message})`, {
          hint: 'the rest go out on the next run after the quota resets; ask AWS for a higher quota if this repeats',
          cause: err,
        }),
      };
    }
    return { kind: 'retry', code, message };
  }
  if (code === 'MessageRejected') {
    const address = sender ? senderAddress(sender) : undefined;
    if (address && message.toLowerCase().includes(address.toLowerCase())) {
      return {
        kind: 'systemic',
        code,
        message,
        error: new ClinicaError('config', `SES rejected the sender ${address}: ${message}`, {
          hint: 'verify the sender identity in SES (clinica deploy starts it; clinica status shows it) or fix mail.sender',
          cause: err,
        }),
      };
    }
    if (/not verified/i.test(message)) {
      // a recipient "not verified": the account is in the SES sandbox, which sends only to verified addresses —
      // nothing is wrong with the patient's address, and every other patient would be refused the same way
      return {
        kind: 'systemic',
        code,
        message,
        error: new ClinicaError('config', `SES refused a recipient as not verified: the account is in the SES sandbox, which sends only to verified addresses (${message.replace(/:\s*[^\s:]+@.*$/, '')})`, {
          hint: 'request production access in the SES console (`clinica status` shows the account); the reminders go out on the first run after it',
          cause: err,
        }),
      };
    }
    return { kind: 'permanent', code, message };
  }
  if (code === 'InvalidParameterValue' || code === 'InvalidParameterValueException') return { kind: 'permanent', code, message };
  if (systemicCodes.has(code)) {
    return { kind: 'systemic', code, message, error: new ClinicaError('config', `SES refused to send: ${code} (${message})`, { hint: 'check the SES account in the console or with `clinica status`', cause: err }) };
  }
  const described = describeAwsError(err, 'SES');
  if (described instanceof ClinicaError) {
    // a network hiccup may pass; credentials and permissions will not
    if (described.kind === 'unavailable') return { kind: 'retry', code, message: oneLine(described), error: described };
    return { kind: 'systemic', code, message: oneLine(described), error: described };
  }
  if (e.$fault === 'server' || (status !== undefined && status >= 500)) return { kind: 'retry', code, message };
  if (e.$fault === 'client' || (status !== undefined && status >= 400)) return { kind: 'permanent', code, message };
  return { kind: 'transient', code, message };
}

export interface SesSenderOptions {
  client: Pick<SESClient, 'send'>;
  ratePerSecond: number;
  /** the configured From (for telling a sender problem from a recipient problem) */
  sender?: string;
  /** attempts per message, the first included (default 5) */
  maxAttempts?: number;
  baseDelayMs?: number;
  maxDelayMs?: number;
  /** after this many messages in a row fail for transient reasons, SES is considered down (default 5) */
  breakerThreshold?: number;
  log?: Log;
  sleep?: (ms: number) => Promise<void>;
  random?: () => number;
  /** the limiter's clock in ms (tests move it with `sleep`) */
  clock?: () => number;
}

export class SesSender {
  readonly limiter: RateLimiter;
  private consecutiveFailures = 0;
  private readonly opts: Required<Omit<SesSenderOptions, 'sender' | 'clock'>> & { sender?: string };
  /** counters for the summary and the benchmark */
  readonly stats = { sent: 0, attempts: 0, throttled: 0, retried: 0, firstSendAt: 0, lastSendAt: 0 };

  constructor(options: SesSenderOptions) {
    this.opts = {
      maxAttempts: 5,
      baseDelayMs: 250,
      maxDelayMs: 8_000,
      breakerThreshold: 5,
      log: silentLog,
      sleep: sleepFor,
      random: Math.random,
      // an option passed as undefined keeps its default
      ...(Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined)) as SesSenderOptions),
    };
    this.limiter = new RateLimiter(options.ratePerSecond, options.clock, this.opts.sleep);
  }

  get ratePerSecond(): number {
    return this.limiter.ratePerSecond;
  }

  /** Sends one raw message to `to`; resolves with SES's message id or rejects with a SendFailure. */
  async send(raw: Buffer, to: string, options: SendOptions = {}): Promise<SendResult> {
    const { SendRawEmailCommand } = await import('@aws-sdk/client-ses');
    const { maxAttempts, baseDelayMs, maxDelayMs, log } = this.opts;
    let last: Classified | undefined;
    let attempt = 0;
    while (attempt < maxAttempts) {
      attempt++;
      await this.limiter.acquire();
      if (options.expired?.()) throw new SendFailure('expired', 'not sent: the deadline passed while it waited for its SES slot', last?.code, attempt - 1);
      this.stats.attempts++;
      if (!this.stats.firstSendAt) this.stats.firstSendAt = performance.now();
      try {
        const out = await this.opts.client.send(new SendRawEmailCommand({ RawMessage: { Data: raw }, Destinations: [to] }));
        this.stats.sent++;
        this.stats.lastSendAt = performance.now();
        this.consecutiveFailures = 0;
        return { messageId: out.MessageId ?? '', attempts: attempt };
      } catch (err) {
        last = classifySesError(err, this.opts.sender);
        if (last.kind !== 'retry') break;
        if (attempt === maxAttempts) break;
        const delay = Math.min(maxDelayMs, baseDelayMs * 2 ** (attempt - 1)) * (0.5 + this.opts.random() / 2);
        if (last.code === 'Throttling' || last.code === 'ThrottlingException' || last.code === 'TooManyRequestsException') {
          this.stats.throttled++;
          this.limiter.pause(Math.min(delay, 1_000));
        }
        this.stats.retried++;
        log.debug(`SES ${last.code}: retrying in ${Math.round(delay)} ms (attempt ${attempt + 1} of ${maxAttempts})`);
        await this.opts.sleep(delay);
      }
    }
    const failure = last!;
    const attempts = attempt;
    if (failure.kind === 'systemic') throw new SendFailure('systemic', failure.message, failure.code, attempts, failure.error);
    if (failure.kind === 'permanent') {
      this.consecutiveFailures = 0;
      throw new SendFailure('permanent', failure.message, failure.code, attempts);
    }
    // unreachable through every retry: SES (or the network to it) is down, for every next message too
    if (failure.kind === 'retry' && failure.error?.kind === 'unavailable') throw new SendFailure('systemic', failure.message, failure.code, attempts, failure.error);
    // retries ran out (or an unknown error): transient for this message; many in a row means SES is down
    this.consecutiveFailures++;
    if (this.consecutiveFailures >= this.opts.breakerThreshold) {
      throw new SendFailure(
        'systemic',
        failure.message,
        failure.code,
        attempts,
        failure.error ??
          new ClinicaError('unavailable', `SES keeps failing (${this.consecutiveFailures} messages in a row, last: ${failure.code} ${failure.message})`, {
            hint: 'the unsent reminders go out on the next run; check the SES endpoint and the AWS health dashboard',
          }),
      );
    }
    throw new SendFailure('transient', failure.message, failure.code, attempts, failure.error);
  }
}

export interface SendRateOptions {
  /** reminders.maxSendRate from the config */
  configured?: number;
  /** the local stack or another emulator: GetSendQuota is not asked (the local SES never answers it) */
  emulator: boolean;
  log?: Log;
}

export interface SendRate {
  ratePerSecond: number;
  source: 'config' | 'quota' | 'default';
  /** what is left of the account's 24-hour quota, when known */
  remaining24h?: number;
}

/** The send rate to pace at: the account's MaxSendRate (capped by the config), or the config, or a default. */
export async function resolveSendRate(client: Pick<SESClient, 'send'>, options: SendRateOptions): Promise<SendRate> {
  if (options.emulator) return { ratePerSecond: options.configured ?? EMULATOR_SEND_RATE, source: options.configured ? 'config' : 'default' };
  const { GetSendQuotaCommand } = await import('@aws-sdk/client-ses');
  try {
    const quota = await client.send(new GetSendQuotaCommand({}), { abortSignal: AbortSignal.timeout(10_000) });
    const max = quota.MaxSendRate && quota.MaxSendRate > 0 ? quota.MaxSendRate : SANDBOX_SEND_RATE;
    const remaining24h = quota.Max24HourSend !== undefined && quota.Max24HourSend >= 0 ? Math.max(0, quota.Max24HourSend - (quota.SentLast24Hours ?? 0)) : undefined;
    if (options.configured && options.configured < max) return { ratePerSecond: options.configured, source: 'config', remaining24h };
    return { ratePerSecond: max, source: 'quota', remaining24h };
  } catch (err) {
    const described = describeAwsError(err, 'SES (GetSendQuota)');
    if (described instanceof ClinicaError && (described.kind === 'credentials' || described.kind === 'forbidden')) throw described;
    // the account's rate unknown: the sandbox's, which every account allows (maxSendRate is a cap, not the
    // account's rate — sending faster than the account allows gets throttled, and a long throttle stops the run)
    const rate = Math.min(options.configured ?? SANDBOX_SEND_RATE, SANDBOX_SEND_RATE);
    options.log?.warn(`could not read the SES send quota (${oneLine(described)}); sending at ${rate}/s`);
    return { ratePerSecond: rate, source: options.configured !== undefined && options.configured < SANDBOX_SEND_RATE ? 'config' : 'default' };
  }
}

/**
 * An SES client for sending (the SDK's retries off: SesSender owns the retry policy) and the rate to pace at.
 * `emulator`: the target points at the local SES or another emulator.
 */
export async function openSesSender(
  target: AwsTarget,
  options: { configured?: number; sender?: string; log?: Log; emulator?: boolean; retry?: Pick<SesSenderOptions, 'maxAttempts' | 'baseDelayMs' | 'maxDelayMs'> },
): Promise<{ sender: SesSender; rate: SendRate }> {
  const emulator = options.emulator ?? Boolean(target.endpoints?.ses ?? target.endpoint);
  const client = await sesClient({ ...target, maxAttempts: 1 });
  const rate = await resolveSendRate(client, { configured: options.configured, emulator, log: options.log });
  return { sender: new SesSender({ client, ratePerSecond: rate.ratePerSecond, sender: options.sender, log: options.log, ...options.retry }), rate };
}

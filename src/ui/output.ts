/**
 * The one reporter of the CLI face. Human output when stdout is a terminal (tables, spinners, progress,
 * colours); plain lines with timestamps otherwise (cron mail, logs); `--json` puts exactly one JSON document
 * on stdout and every message on stderr. No spinner, colour or prompt when not a TTY, with --yes, or NO_COLOR.
 * Spinners and progress bars redraw stderr: only when stderr is a terminal with a width (a 0-column terminal
 * made ora count infinite lines and spin forever) and colour is allowed; plain lines otherwise.
 * ora and cli-table3 are imported only when something is drawn.
 * Questions (`confirm`, `confirmTyped`, `ask`, `select`) follow one policy: --yes answers a confirmation,
 * no terminal (or --yes, or CI) refuses it in one line naming the flag to pass; this is the only place
 * @inquirer/prompts is imported, lazily, when a question is really asked.
 */
import { usageError } from '../errors.js';
import type { Log, LogData } from '../log.js';
import type { OnProgress, StepProgress } from '../progress.js';

export interface UiOptions {
  json?: boolean;
  quiet?: boolean;
  verbose?: boolean;
  yes?: boolean;
}

export interface Streams {
  stdout: NodeJS.WriteStream | NodeJS.WritableStream;
  stderr: NodeJS.WriteStream | NodeJS.WritableStream;
  env: NodeJS.ProcessEnv;
  stdinIsTTY: boolean;
}

export interface Spinner {
  update(text: string): void;
  succeed(text?: string): void;
  fail(text?: string): void;
  warn(text?: string): void;
}

export interface Progress {
  tick(done: number, detail?: string): void;
  done(): void;
}

/** A confirmation: what it asks and what to say when it cannot be asked. */
export interface ConfirmOptions {
  default?: boolean;
  /**
   * the flag that goes ahead without the question (default --yes, which answers it here); another flag (e.g.
   * --force) is checked by the caller before asking
   */
  pass?: string;
  /** the one line when there is no terminal to ask on (default: "<question>: not confirmed", hint: pass the flag) */
  refusal?: string;
  hint?: string;
  field?: string;
}

/** A typed confirmation, for what cannot be undone: the person types the name of what goes. */
export interface TypedConfirmOptions extends Omit<ConfirmOptions, 'default' | 'pass'> {
  /** printed as a warning before the question */
  warning?: string;
  /** whether the typed text is the expected one */
  matches(typed: string): boolean;
}

export interface AskOptions {
  default?: string;
  /** true, or the reason the answer is refused (the question is asked again) */
  validate?: (answer: string) => true | string;
}

export interface Choice<T> {
  name: string;
  value: T;
}

/**
 * A command's one result, printed by the host: `data` is the one JSON document of --json; `render` is the human
 * view — its tables and lines on stdout are skipped with --json, its messages go to stderr in every mode (as
 * every message does). `exitCode` is the command's exit code (default 0); `error` is thrown once the result is
 * shown (a bulk run that printed what it did, then reports what failed).
 */
export interface Output<T = unknown> {
  data: T;
  render?: (ui: Ui) => void | Promise<void>;
  exitCode?: number;
  error?: unknown;
}

export interface Column<T> {
  header: string;
  value: (row: T) => string | number | undefined | null;
  align?: 'left' | 'right';
}

/** The colour codes this Ui and cli-table3 write (reset, bold, dim, red, green, yellow, cyan, grey). */
// eslint-disable-next-line no-control-regex -- an escape sequence is what it matches
const OWN_COLOR = /^\u001b\[(?:0|1|2|22|31|32|33|36|39|90)m$/;

/**
 * Text safe for a terminal: every control character but tab and line feed is shown as its symbol (ESC → ␛,
 * BEL → ␇, CR → ␍; DEL and C1 as �), so a name or an alert holding an escape sequence cannot retitle the
 * window, clear the screen or hide itself. With `keepColors`, the colour codes the Ui writes itself stay.
 */
export function printable(text: string, keepColors = false): string {
  // eslint-disable-next-line no-control-regex -- control characters are what it replaces
  return text.replace(/\u001b\[[0-9;]*m|[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g, (m) => {
    if (keepColors && OWN_COLOR.test(m)) return m;
    const c = m.charCodeAt(0);
    return (c < 0x20 ? String.fromCharCode(0x2400 + c) : '\ufffd') + m.slice(1);
  });
}

const isTTY = (s: Streams['stdout']) => Boolean((s as NodeJS.WriteStream).isTTY);
const columnsOf = (s: Streams['stderr']) => (s as NodeJS.WriteStream).columns ?? 0;

/**
 * The one colour decision (the Ui and the error printer): colour codes go to `stream` only when it is a
 * terminal, NO_COLOR is unset or empty (no-color.org), and TERM is not "dumb" (a terminal that shows escape
 * codes as text, e.g. Emacs' shell).
 */
export function colorAllowed(stream: Streams['stderr'], env: NodeJS.ProcessEnv): boolean {
  const noColor = env.NO_COLOR !== undefined && env.NO_COLOR !== '';
  return isTTY(stream) && !noColor && env.TERM !== 'dumb';
}

export class Ui implements Log {
  readonly json: boolean;
  readonly quiet: boolean;
  readonly verbose: boolean;
  /** stdout is a terminal: tables and spinners */
  readonly tty: boolean;
  /** colour codes allowed: terminals on stdout and stderr, no NO_COLOR, TERM is not "dumb" */
  readonly color: boolean;
  /** spinners and progress bars may redraw stderr: colour allowed and stderr has a width */
  readonly live: boolean;
  /** prompts allowed: a terminal on stdin and stdout, and no --yes */
  readonly interactive: boolean;
  /** --yes: confirmations are answered without a question */
  readonly yes: boolean;

  constructor(
    options: UiOptions = {},
    readonly streams: Streams = { stdout: process.stdout, stderr: process.stderr, env: process.env, stdinIsTTY: Boolean(process.stdin.isTTY) },
  ) {
    this.json = Boolean(options.json);
    this.quiet = Boolean(options.quiet);
    this.verbose = Boolean(options.verbose);
    this.tty = isTTY(streams.stdout) && !this.json;
    this.color = this.tty && colorAllowed(streams.stderr, streams.env);
    this.live = this.color && !this.quiet && columnsOf(streams.stderr) > 0;
    this.yes = Boolean(options.yes);
    this.interactive = this.tty && streams.stdinIsTTY && !this.yes && !streams.env.CI;
  }

  // --- questions: the one policy for "no terminal or --yes" ---

  /** No terminal to ask on: the refusal, one line naming what to pass. */
  private refuse(question: string, options: Omit<ConfirmOptions, 'default'>): never {
    if (options.refusal) throw usageError(options.refusal, { field: options.field, hint: options.hint });
    const pass = options.pass ?? '--yes';
    throw usageError(`${question.replace(/\?$/, '')}: not confirmed`, { field: options.field, hint: options.hint ?? `pass ${pass} to go ahead without a prompt` });
  }

  /** Yes or no. --yes answers yes (when it is the flag that passes); without a terminal, the refusal. */
  async confirm(question: string, options: ConfirmOptions = {}): Promise<boolean> {
    if ((options.pass ?? '--yes') === '--yes' && this.yes) return true;
    if (!this.interactive) this.refuse(question, options);
    const { confirm } = await import('@inquirer/prompts');
    return confirm({ message: question, default: options.default ?? false });
  }

  /** The person types the name of what goes (after the warning); --yes skips it; without a terminal, the refusal. */
  async confirmTyped(question: string, options: TypedConfirmOptions): Promise<boolean> {
    if (this.yes) return true;
    if (!this.interactive) this.refuse(question, options);
    if (options.warning) this.warn(options.warning);
    const { input } = await import('@inquirer/prompts');
    return options.matches(await input({ message: question }));
  }

  /** A free answer, checked as it is typed. Only on a terminal: callers fall back to flags without one. */
  async ask(question: string, options: AskOptions = {}): Promise<string> {
    if (!this.interactive) this.refuse(question, { hint: 'give it as a flag (no terminal to ask on)' });
    const { input } = await import('@inquirer/prompts');
    return input({ message: question, default: options.default, validate: options.validate });
  }

  /** One of a list. Only on a terminal: callers fall back to flags without one. */
  async select<T>(question: string, choices: Choice<T>[], options: { default?: T } = {}): Promise<T> {
    if (!this.interactive) this.refuse(question, { hint: 'give it as a flag (no terminal to ask on)' });
    const { select } = await import('@inquirer/prompts');
    return select<T>({ message: question, choices, default: options.default });
  }

  // --- colours (no-ops when colour is off) ---
  private paint = (code: number, text: string) => (this.color ? `\u001b[${code}m${text}\u001b[0m` : text);
  red = (t: string) => this.paint(31, t);
  green = (t: string) => this.paint(32, t);
  yellow = (t: string) => this.paint(33, t);
  dim = (t: string) => this.paint(2, t);
  bold = (t: string) => this.paint(1, t);

  /** A status line on stderr (timestamped when not on a terminal, so cron mail reads as a log). */
  private line(level: 'debug' | 'info' | 'warn' | 'error', message: string, data?: LogData) {
    if (level === 'debug' && !this.verbose) return;
    if (level === 'info' && this.quiet) return;
    const extra = data && this.verbose ? ' ' + JSON.stringify(data) : '';
    const text = printable(`${message}${extra}`, this.color);
    if (this.tty && isTTY(this.streams.stderr)) {
      const tag = level === 'warn' ? this.yellow('warning: ') : level === 'error' ? this.red('error: ') : level === 'debug' ? this.dim('· ') : '';
      this.streams.stderr.write(`${tag}${text}\n`);
    } else {
      this.streams.stderr.write(`${new Date().toISOString()} ${level} ${text}\n`);
    }
  }
  debug = (m: string, d?: LogData) => this.line('debug', m, d);
  info = (m: string, d?: LogData) => this.line('info', m, d);
  warn = (m: string, d?: LogData) => this.line('warn', m, d);
  error = (m: string, d?: LogData) => this.line('error', m, d);

  /**
   * A command's one result: its data as one JSON document with --json, then its human view (whose stdout is
   * skipped with --json); then its error, if it has one, is thrown. Returns the exit code.
   */
  async show(output: Output): Promise<number> {
    this.result(output.data);
    await output.render?.(this);
    if (output.error) throw output.error;
    return output.exitCode ?? 0;
  }

  /** The command's result for humans, on stdout (skipped in --json mode, where `result` prints instead). */
  print(text: string): void {
    if (this.json) return;
    const safe = printable(text, this.color);
    this.streams.stdout.write(safe.endsWith('\n') ? safe : safe + '\n');
  }

  /** The command's result for scripts: exactly one JSON document on stdout, in --json mode only. */
  result(value: unknown): void {
    if (!this.json) return;
    this.streams.stdout.write(JSON.stringify(value, null, 2) + '\n');
  }

  /** A table on stdout (human mode). */
  async table<T>(rows: T[], columns: Column<T>[], options: { title?: string } = {}): Promise<void> {
    if (this.json) return;
    const { default: Table } = await import('cli-table3');
    const table = new Table({
      head: columns.map((c) => c.header),
      colAligns: columns.map((c) => c.align ?? 'left'),
      style: { head: this.color ? ['cyan'] : [], border: this.color ? ['grey'] : [] },
      ...(this.tty ? {} : { chars: plainChars }),
    });
    for (const row of rows) table.push(columns.map((c) => String(c.value(row) ?? '')));
    if (options.title) this.print(this.bold(options.title));
    this.print(table.toString());
  }

  /** A spinner on a terminal; elsewhere, plain start/end lines. */
  async spinner(text: string): Promise<Spinner> {
    if (!this.live) {
      this.info(text);
      return {
        update: () => {},
        succeed: (t) => this.info(t ?? `${text} — done`),
        fail: (t) => this.error(t ?? `${text} — failed`),
        warn: (t) => this.warn(t ?? text),
      };
    }
    const { default: ora } = await import('ora');
    const s = ora({ text: printable(text, true), stream: this.streams.stderr as NodeJS.WriteStream, color: 'cyan', isEnabled: true }).start();
    return {
      update: (t) => void (s.text = printable(t, true)),
      succeed: (t) => void s.succeed(t && printable(t, true)),
      fail: (t) => void s.fail(t && printable(t, true)),
      warn: (t) => void s.warn(t && printable(t, true)),
    };
  }

  /**
   * Progress of bulk work: a redrawn bar with count, rate and ETA on a terminal; a plain line every
   * `everyMs` otherwise (cron, CI), and nothing with --quiet or --json.
   */
  progress(total: number, label: string, everyMs = 5_000): Progress {
    const started = Date.now();
    let lastPlain = 0;
    let last = 0;
    const render = (done: number, detail = '') => {
      const elapsed = (Date.now() - started) / 1000;
      const rate = elapsed > 0 ? done / elapsed : 0;
      const eta = rate > 0 ? Math.round((total - done) / rate) : undefined;
      const pct = total ? Math.floor((done / total) * 100) : 100;
      return { pct, rate, eta, text: `${label} ${done}/${total} (${pct}%) ${rate.toFixed(1)}/s${eta !== undefined ? ` ETA ${formatSeconds(eta)}` : ''}${detail ? ` ${detail}` : ''}` };
    };
    const silent = this.quiet || this.json;
    return {
      tick: (done, detail) => {
        last = done;
        if (silent) return;
        const r = render(done, detail);
        if (this.live) {
          const width = 24;
          const filled = Math.round((r.pct / 100) * width);
          const bar = '█'.repeat(filled) + '░'.repeat(width - filled);
          // one line only: a wrapped line would not be cleared by the next redraw
          const room = Math.max(0, columnsOf(this.streams.stderr) - width - 2);
          this.streams.stderr.write(`\r\u001b[2K${this.green(bar)} ${printable(r.text).slice(0, room)}`);
        } else if (Date.now() - lastPlain >= everyMs) {
          lastPlain = Date.now();
          this.info(r.text);
        }
      },
      done: () => {
        if (silent) return;
        if (this.live) this.streams.stderr.write('\r\u001b[2K');
        this.info(render(last).text.replace(/ ETA .*/, '') + ` in ${formatSeconds((Date.now() - started) / 1000)}`);
      },
    };
  }

  /**
   * The CLI's rendering of a core progress channel: a `progress` bar made on the first event that knows
   * the total (`total` when the emitter does not), and only for runs of at least `minTotal` items.
   */
  progressOf<I>(label: string, options: { total?: number; minTotal?: number } = {}): { emit: OnProgress<I>; done(): void } {
    let bar: Progress | undefined;
    return {
      emit: ({ done, total = options.total }) => {
        if (!total || total < (options.minTotal ?? 1)) return;
        bar ??= this.progress(total, label);
        bar.tick(done);
      },
      done: () => bar?.done(),
    };
  }

  /**
   * The CLI's rendering of a plan being applied (deploy, destroy): a spinner per step on a terminal, a line as
   * each step starts and ends otherwise; `say` words each step, `update` retells the running step (a bucket
   * being emptied counts its objects).
   */
  stepsOf<S>(say: { start(step: S): string; done(step: S): string; fail(step: S, error: unknown): string }): { emit: OnProgress<StepProgress<S>>; update(text: string): void } {
    let spinner: Spinner | undefined;
    return {
      emit: async ({ item }) => {
        if (!item) return;
        if (item.phase === 'start') spinner = await this.spinner(say.start(item.step));
        else if (item.phase === 'done') spinner?.succeed(say.done(item.step));
        else spinner?.fail(say.fail(item.step, item.error));
      },
      update: (text) => spinner?.update(text),
    };
  }
}

export function formatSeconds(seconds: number): string {
  if (seconds < 60) return `${seconds < 10 ? seconds.toFixed(1) : Math.round(seconds)}s`;
  const m = Math.floor(seconds / 60);
  const s = Math.round(seconds % 60);
  return m < 60 ? `${m}m${String(s).padStart(2, '0')}s` : `${Math.floor(m / 60)}h${String(m % 60).padStart(2, '0')}m`;
}

const plainChars = {
  top: '-', 'top-mid': '+', 'top-left': '+', 'top-right': '+',
  bottom: '-', 'bottom-mid': '+', 'bottom-left': '+', 'bottom-right': '+',
  left: '|', 'left-mid': '+', mid: '-', 'mid-mid': '+', right: '|', 'right-mid': '+', middle: '|',
};

/**
 * The reporter interface that core code is handed. Core code never prints: it tells a Log, and the face
 * (a CLI command, the server, a Lambda) decides how that looks — a spinner line, a JSON log line, nothing.
 */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
export type LogData = Record<string, unknown>;

export interface Log {
  debug(message: string, data?: LogData): void;
  info(message: string, data?: LogData): void;
  warn(message: string, data?: LogData): void;
  error(message: string, data?: LogData): void;
}

export const silentLog: Log = { debug() {}, info() {}, warn() {}, error() {} };

const order: Record<LogLevel, number> = { debug: 0, info: 1, warn: 2, error: 3 };

/** JSON lines (one object per line) — for the server (journald) and the Lambdas (CloudWatch). */
export function jsonLinesLog(
  write: (line: string) => void = (line) => process.stdout.write(line),
  minLevel: LogLevel = 'info',
  base: LogData = {},
): Log {
  const emit = (level: LogLevel) => (message: string, data?: LogData) => {
    if (order[level] < order[minLevel]) return;
    write(JSON.stringify({ time: new Date().toISOString(), level, message, ...base, ...data }) + '\n');
  };
  return { debug: emit('debug'), info: emit('info'), warn: emit('warn'), error: emit('error') };
}

/** A Log that keeps what it was told (tests, and summaries built after the fact). */
export function memoryLog(): Log & { entries: { level: LogLevel; message: string; data?: LogData }[] } {
  const entries: { level: LogLevel; message: string; data?: LogData }[] = [];
  const keep = (level: LogLevel) => (message: string, data?: LogData) => void entries.push({ level, message, data });
  return { entries, debug: keep('debug'), info: keep('info'), warn: keep('warn'), error: keep('error') };
}

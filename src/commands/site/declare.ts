import type { Command } from 'commander';

/** The public website (filled by the site issue). */
export function declareSite(_program: Command): void {}

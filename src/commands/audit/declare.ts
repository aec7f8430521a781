import type { Command } from 'commander';

/** The audit log (filled by the patients issue). */
export function declareAudit(_program: Command): void {}

import type { Command } from 'commander';

/** Staff accounts for the backend (filled by the backend issue). */
export function declareStaff(_program: Command): void {}

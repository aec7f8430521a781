/** The append-only audit log: audit/{YYYY-MM-DD}/{time}-{patientId|_}-{rand}.json, written once (If-None-Match). */
import type { Store } from '../store/store.js';
import type { AuditAction, AuditEntry } from './types.js';

export async function audit(
  _store: Store,
  _entry: { actor: string; action: AuditAction; patientId?: string; details?: Record<string, unknown> },
): Promise<AuditEntry> {
  throw new Error('not implemented yet');
}

/** Entries oldest first. `since`: an ISO instant or a Date. */
export async function listAudit(_store: Store, _filter: { patientId?: string; since?: string | Date } = {}): Promise<AuditEntry[]> {
  throw new Error('not implemented yet');
}

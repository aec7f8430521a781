import { describe, expect, it } from 'vitest';
import { audit, AUDIT_PREFIX, listAudit } from '../../src/clinic/audit.js';
import { useTestStack } from '../helpers/stack.js';

const stack = useTestStack({ publish: false });

describe('the audit log', () => {
  it('entries written at once share their objects (one write for many reads), each stored before its call resolves', async () => {
    const store = stack.dataStore;
    const ids = Array.from({ length: 120 }, (_, i) => `P-${String(900_000 + (i % 40)).padStart(6, '0')}`);
    const entries = await Promise.all(ids.map((patientId, i) => audit(store, { actor: 'staff:s1', action: 'patient.read', patientId, details: { n: i } })));
    const keys: string[] = [];
    for await (const o of store.list(AUDIT_PREFIX)) keys.push(o.key);
    // far fewer objects than entries: the ones arriving during a write went together into the next
    expect(keys.length).toBeLessThanOrEqual(10);
    expect(keys.length).toBeGreaterThan(1);
    // every entry is listed once, by patient too (the key names the patients of its object)
    const all = (await listAudit(store)).filter((e) => e.actor === 'staff:s1');
    expect(all.map((e) => e.id).sort()).toEqual(entries.map((e) => e.id).sort());
    const one = await listAudit(store, { patientId: 'P-900007' });
    expect(one.map((e) => e.details?.n)).toEqual([7, 47, 87]);
    // since/until select entries, not objects
    const later = await listAudit(store, { patientId: 'P-900007', since: entries[47]!.at });
    expect(later.every((e) => e.at >= entries[47]!.at)).toBe(true);
    expect(later.map((e) => e.details?.n)).toContain(87);
  });

  it('an entry alone keeps the one-entry object and key', async () => {
    const store = stack.dataStore;
    const e = await audit(store, { actor: 'cli:t', action: 'patient.export', patientId: 'P-900100' }, new Date('2026-01-02T03:04:05.006Z'));
    expect((await store.getJson(`${AUDIT_PREFIX}2026-01-02/${e.id}.json`))?.value).toEqual(e);
    expect(await listAudit(store, { patientId: 'P-900100' })).toEqual([e]);
  });
});

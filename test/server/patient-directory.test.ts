/** The server's cache of patient lists: fresh after a change made elsewhere (checked by the index's ETags) or here. */
import { expect, it } from 'vitest';
import { createPatient } from '../../src/clinic/patients.js';
import { PatientDirectory } from '../../src/server/patient-directory.js';
import { useTestStack } from '../helpers/stack.js';

const stack = useTestStack();

it('keeps answers while the index is unchanged, drops them when it changes', async () => {
  let clock = 0;
  const dir = new PatientDirectory(stack.dataStore, 1_000, () => clock);
  await createPatient(stack.dataStore, { fullName: 'Primeira Pessoa', birthDate: '1990-01-01' }, 'test');
  const first = await dir.list({ search: 'pessoa' });
  expect(first.map((p) => p.fullName)).toEqual(['Primeira Pessoa']);
  expect(await dir.list({ search: 'pessoa' })).toBe(first); // the same answer, not a new read

  await createPatient(stack.dataStore, { fullName: 'Segunda Pessoa', birthDate: '1990-01-01' }, 'cli:someone@elsewhere');
  expect(await dir.list({ search: 'pessoa' })).toHaveLength(1); // within checkMs: the remembered answer
  clock += 1_000;
  expect((await dir.list({ search: 'pessoa' })).map((p) => p.fullName)).toEqual(['Primeira Pessoa', 'Segunda Pessoa']);

  const again = await dir.list({ search: 'pessoa' });
  clock += 5_000; // nothing changed: the ETag check keeps the answer
  expect(await dir.list({ search: 'pessoa' })).toBe(again);

  await createPatient(stack.dataStore, { fullName: 'Terceira Pessoa', birthDate: '1990-01-01' }, 'staff:x');
  dir.changed(); // a change through this server is seen at once
  expect(await dir.list({ search: 'pessoa' })).toHaveLength(3);
  expect((await dir.names()).get('P-000003')).toBe('Terceira Pessoa');
});

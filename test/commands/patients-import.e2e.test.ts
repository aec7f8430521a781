/** `patients import` stopped by the store: what it says, and that nothing it wrote stays hidden. */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PATIENTS_PREFIX } from '../../src/clinic/patients.js';
import { BIN } from '../helpers/cli.js';
import { startTestStack } from '../helpers/stack.js';

describe('patients import stopped by the store', { timeout: 120_000 }, () => {
  it('the local S3 going away mid-import: exit 1, after a line saying to run the same import again', async () => {
    const lost = await startTestStack(); // its own, made and closed in the test: the test stops it mid-import
    try {
      const rows = Array.from({ length: 3000 }, (_, i) => `Parada Sem CPF ${i};01/01/1980`);
      const file = join(lost.projectDir, 'pacientes.csv');
      await writeFile(file, ['Nome;Data de nascimento', ...rows].join('\n'));
      const child = spawn(process.execPath, [BIN, 'patients', 'import', file], {
        cwd: lost.projectDir,
        env: { ...process.env, NO_COLOR: '1', CI: '1' },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let stderr = '';
      child.stderr!.on('data', (c) => (stderr += c));
      const exited = once(child, 'exit');
      const deadline = Date.now() + 60_000;
      const written = async () => {
        let n = 0;
        for await (const _ of lost.dataStore.list(PATIENTS_PREFIX)) n++;
        return n;
      };
      while ((await written()) < 5 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 25));
      await lost.stop(); // S3 gone: the next request of the import is refused
      const [code] = await exited;
      const lines = stderr.trim().split('\n');
      expect(code, stderr).toBe(1);
      expect(lines.at(-2)).toMatch(/import stopped by an error after \d+ rows? — fix the cause and run the same import again to finish \(rows already imported are not added twice\)/);
      expect(lines.at(-1)).toMatch(/^clinica: /);
    } finally {
      await lost.close().catch(() => {});
    }
  });
});

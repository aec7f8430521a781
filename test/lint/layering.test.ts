import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';

/** The layering rules of eslint.config.js, run through ESLint's API on snippets placed in each room. */
const eslint = new ESLint({ cwd: process.cwd() });
const problems = async (filePath: string, code: string) => {
  const [result] = await eslint.lintText(code, { filePath });
  return result!.messages.map((m) => `${m.line}: ${m.message}`);
};

const snippet = [
  "export async function probe(): Promise<unknown> {", // line 1
  "  const { Ui } = await import('../ui/output.js');", // 2: the CLI face, dynamically
  "  const sdk = await import('@aws-sdk/client-s3');", // 3: the SDK, dynamically
  "  const ask = await import('@inquirer/prompts');", // 4: a terminal library, dynamically
  "  process.stderr.write('x');", // 5: printing
  "  console.log('x');", // 6: printing
  "  return [Ui, sdk, ask];",
  "}",
  "",
].join('\n');

const face = 'core code never imports the CLI face (see docs/architecture.md)';
const terminal = 'terminal libraries belong to src/commands and src/ui';
const printing = ['5: core code never prints: tell the Log it is handed', '6: Unexpected console statement.'];

describe('the layering lint rules', () => {
  it('catch a dynamic import of the CLI face, the SDK in clinic/, and printing from core code', async () => {
    expect(await problems('src/clinic/probe.ts', snippet)).toEqual([`2: ${face}`, '3: clinic/ reaches S3 through src/store, never the AWS SDK', `4: ${terminal}`, ...printing]);
  });

  it('catch static imports of the CLI face and of the SDK in clinic/', async () => {
    const code = "import { Ui } from '../ui/output.js';\nimport { S3Client } from '@aws-sdk/client-s3';\nexport const probe = [Ui, S3Client];\n";
    expect(await problems('src/clinic/probe.ts', code)).toEqual([
      `1: '../ui/output.js' import is restricted from being used by a pattern. ${face}`,
      "2: '@aws-sdk/client-s3' import is restricted from being used by a pattern. clinic/ reaches S3 through src/store, never the AWS SDK",
    ]);
  });

  it('let the store use the SDK, and the commands and the Ui print and ask', async () => {
    expect(await problems('src/store/probe.ts', snippet)).toEqual([`2: ${face}`, `4: ${terminal}`, ...printing]);
    expect(await problems('src/commands/probe.ts', snippet)).toEqual([]);
    expect(await problems('src/ui/probe.ts', snippet)).toEqual([]);
  });
});

describe('the pure image pipeline', () => {
  it('imports no records, store or use case, statically or dynamically', async () => {
    const code = "import { audit } from '../clinic/audit.js';\nexport async function probe(): Promise<unknown> {\n  return [audit, await import('../store/store.js')];\n}\n";
    expect(await problems('src/imaging/probe.ts', code)).toEqual([
      "1: '../clinic/audit.js' import is restricted from being used by a pattern. imaging/ is the pure pipeline: records and storing live in src/usecases",
      '3: imaging/ is the pure pipeline: records and storing live in src/usecases',
    ]);
  });
});

describe('a command returns its one result', () => {
  it('does not print it itself: ui.result and ui.show are caught in src/commands', async () => {
    const code = "export async function probe(ui: { result(d: unknown): void; show(o: unknown): Promise<number> }) {\n  ui.result({});\n  return ui.show({ data: {} });\n}\n";
    const message = 'return output(data, render) from the command: the host prints it (JSON with --json)';
    expect(await problems('src/commands/probe.ts', code)).toEqual([`2: ${message}`, `3: ${message}`]);
  });
});

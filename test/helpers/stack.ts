/**
 * The shared harness: a real local stack (s3rver behind the conditional-write proxy, the local SES) on random
 * ports, with a fresh temp folder and a config file, for integration and e2e tests.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import { loadConfig, defaultConfigInput, type ResolvedConfig } from '../../src/config/load.js';
import type { ConfigInput } from '../../src/config/schema.js';
import { memoryLog } from '../../src/log.js';
import { startLocalStack, type LocalStack } from '../../src/local/stack.js';

export interface TestStack extends LocalStack {
  /** the temp project folder (holds clinica.config.json and .clinica/) */
  projectDir: string;
  configPath: string;
  config: ResolvedConfig;
  logEntries: ReturnType<typeof memoryLog>['entries'];
  close(): Promise<void>;
}

export interface TestStackOptions {
  /** merged over the demo defaults (shallow per top-level section) */
  config?: Partial<ConfigInput>;
  /** start the plug-in components (backend, image processor, site); default false */
  withComponents?: boolean;
  /** write .clinica/dev/endpoints.json so the CLI (e2e) finds the stack; default true */
  publish?: boolean;
}

export async function startTestStack(options: TestStackOptions = {}): Promise<TestStack> {
  const projectDir = await mkdtemp(join(tmpdir(), 'clinica-test-'));
  const configPath = join(projectDir, 'clinica.config.json');
  const input: ConfigInput = { ...defaultConfigInput, ...options.config, clinic: { ...defaultConfigInput.clinic, ...options.config?.clinic } };
  await writeFile(configPath, JSON.stringify(input, null, 2));
  const config = loadConfig({ config: configPath }, {});
  const log = memoryLog();
  const stack = await startLocalStack({
    config,
    log,
    s3Port: 0,
    sesPort: 0,
    serverPort: 0,
    withComponents: options.withComponents ?? false,
    publish: options.publish ?? true,
  });
  return {
    ...stack,
    projectDir,
    configPath,
    config,
    logEntries: log.entries,
    async close() {
      await stack.stop();
      await rm(projectDir, { recursive: true, force: true });
    },
  };
}

/**
 * The one local-stack fixture: started before the tests of the file (or describe block) that calls it, closed
 * after them. The stack it returns is a handle to read inside tests and hooks (it forwards to the stack once
 * started; reading it at the top level of the file throws). A test that stops the stack on purpose makes its own
 * with `startTestStack` and says why beside it.
 */
export function useTestStack(options: TestStackOptions = {}): TestStack {
  return useFixture('test stack', () => startTestStack(options));
}

/**
 * Any fixture with a `close()` (the stack, the server harness over it): `start` runs in a beforeAll of the file
 * or describe block that calls this, `close` in its afterAll, and the handle returned forwards to what `start`
 * made. Hooks registered after this call see it started (beforeAll) and still open (afterAll: vitest runs them
 * in reverse order).
 */
export function useFixture<T extends { close(): Promise<void> }>(name: string, start: () => Promise<T>): T {
  let started: T | undefined;
  beforeAll(async () => {
    started = await start();
  });
  afterAll(async () => {
    await started?.close();
  });
  const current = (key: string | symbol) => {
    if (!started) throw new Error(`the ${name} is not started yet: read ${String(key)} inside a test or a hook`);
    return started;
  };
  // get, and the two traps a spread (`{ ...stack, dataStore }`) reads
  return new Proxy({} as T, {
    get(_, key) {
      const value: unknown = Reflect.get(current(key), key);
      return typeof value === 'function' ? value.bind(started) : value;
    },
    ownKeys: () => Reflect.ownKeys(current('…')),
    getOwnPropertyDescriptor(_, key) {
      const descriptor = Reflect.getOwnPropertyDescriptor(current(key), key);
      return descriptor && { ...descriptor, configurable: true };
    },
  });
}

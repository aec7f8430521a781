import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const faceImports = [
  { group: ['**/commands/**', '**/ui/**'], message: 'core code never imports the CLI face (see docs/architecture.md)' },
  { group: ['@inquirer/*', 'inquirer', 'ora', 'cli-table3'], message: 'terminal libraries belong to src/commands and src/ui' },
];
const sdkImports = [{ group: ['@aws-sdk/*'], message: 'clinic/ reaches S3 through src/store, never the AWS SDK' }];

/** `await import('…')` of what the patterns name (no-restricted-imports sees only static imports). */
const dynamicImports = (pattern, message) => ({ selector: `ImportExpression[source.value=${pattern}]`, message });
const faceDynamic = [
  dynamicImports('/(^|\\/)(commands|ui)\\//', 'core code never imports the CLI face (see docs/architecture.md)'),
  dynamicImports('/^(@inquirer\\/|inquirer$|ora$|cli-table3$)/', 'terminal libraries belong to src/commands and src/ui'),
];
const sdkDynamic = [dynamicImports('/^@aws-sdk\\//', 'clinic/ reaches S3 through src/store, never the AWS SDK')];
const pureImports = [{ group: ['**/clinic/**', '**/store/**', '**/usecases/**', '@aws-sdk/*'], message: 'imaging/ is the pure pipeline: records and storing live in src/usecases' }];
const pureDynamic = [dynamicImports('/(^|\\/)(clinic|store|usecases)\\/|^@aws-sdk\\//', 'imaging/ is the pure pipeline: records and storing live in src/usecases')];
const printing = [
  { selector: "MemberExpression[object.name='process'][property.name=/^(stdout|stderr)$/]", message: 'core code never prints: tell the Log it is handed' },
];

/** The layering rules, one block per room (a later block's rule replaces an earlier one's, so each lists all). */
export function layering() {
  const below = ['src/commands/**', 'src/ui/**', 'src/cli.ts'];
  const printers = [...below, 'src/log.ts', 'src/web/**'];
  return [
    {
      files: ['src/**/*.ts'],
      ignores: below,
      rules: {
        'no-restricted-imports': ['error', { patterns: faceImports }],
        'no-restricted-syntax': ['error', ...faceDynamic],
      },
    },
    {
      files: ['src/**/*.ts'],
      ignores: printers,
      rules: { 'no-console': 'error', 'no-restricted-syntax': ['error', ...faceDynamic, ...printing] },
    },
    {
      // imaging/ is the pure pipeline (bytes and options in, bytes out): no records, no store, no use case
      files: ['src/imaging/**/*.ts'],
      rules: {
        'no-restricted-imports': ['error', { patterns: [...faceImports, ...pureImports] }],
        'no-restricted-syntax': ['error', ...faceDynamic, ...printing, ...pureDynamic],
      },
    },
    {
      files: ['src/clinic/**/*.ts'],
      rules: {
        'no-restricted-imports': ['error', { patterns: [...faceImports, ...sdkImports] }],
        'no-restricted-syntax': ['error', ...faceDynamic, ...printing, ...sdkDynamic],
      },
    },
  ];
}

export default tseslint.config(
  // templates/staff/app.js is built from src/web (scripts/bundle-web.js), which is linted as TypeScript
  { ignores: ['dist/', 'node_modules/', 'coverage/', 'test-artifacts/', '.clinica/', 'templates/**/*.min.js', 'templates/staff/app.js'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { process: 'readonly', console: 'readonly', Buffer: 'readonly', URL: 'readonly', fetch: 'readonly', setTimeout: 'readonly', clearTimeout: 'readonly', setInterval: 'readonly', clearInterval: 'readonly', AbortController: 'readonly', AbortSignal: 'readonly', TextEncoder: 'readonly', TextDecoder: 'readonly', performance: 'readonly', structuredClone: 'readonly', setImmediate: 'readonly', queueMicrotask: 'readonly' } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
      '@typescript-eslint/no-empty-function': 'off',
    },
  },
  // the layering rules (docs/architecture.md): nothing below commands/ imports the terminal, static or dynamic;
  // clinic/ reaches S3 through store/, never the SDK; core code never prints (it tells a Log or emits progress)
  ...layering(),
  {
    // a command returns its one result (`output(data, render)` in commands/action.ts) and the host prints it
    files: ['src/commands/**/*.ts'],
    rules: {
      'no-restricted-syntax': ['error', { selector: "CallExpression[callee.object.name='ui'][callee.property.name=/^(result|show)$/]", message: 'return output(data, render) from the command: the host prints it (JSON with --json)' }],
    },
  },
  {
    // the launcher is CommonJS (bin/package.json): Node starts it without the ES module loader
    files: ['bin/**/*.js'],
    languageOptions: { sourceType: 'commonjs', globals: { require: 'readonly', __dirname: 'readonly' } },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  {
    // hand-written browser scripts in templates/ (the staff page's is TypeScript in src/web, with lib "DOM")
    files: ['templates/**/*.js'],
    languageOptions: { globals: { window: 'readonly', document: 'readonly', fetch: 'readonly', localStorage: 'readonly', sessionStorage: 'readonly', FormData: 'readonly', XMLHttpRequest: 'readonly', URLSearchParams: 'readonly', navigator: 'readonly', location: 'readonly', history: 'readonly', Intl: 'readonly', console: 'readonly', setTimeout: 'readonly', clearTimeout: 'readonly', File: 'readonly', Event: 'readonly', CustomEvent: 'readonly', HTMLElement: 'readonly' } },
  },
);

import js from '@eslint/js';
import tseslint from 'typescript-eslint';

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
  {
    // the layering rule: nothing below commands/ imports the terminal
    files: ['src/**/*.ts'],
    ignores: ['src/commands/**', 'src/ui/**', 'src/cli.ts'],
    rules: {
      'no-restricted-imports': ['error', {
        patterns: [
          { group: ['**/commands/**', '**/ui/**'], message: 'core code never imports the CLI face (see ARCHITECTURE.md)' },
          { group: ['@inquirer/*', 'inquirer', 'ora', 'cli-table3'], message: 'terminal libraries belong to src/commands and src/ui' },
        ],
      }],
    },
  },
  {
    // hand-written browser scripts in templates/ (the staff page's is TypeScript in src/web, with lib "DOM")
    files: ['templates/**/*.js'],
    languageOptions: { globals: { window: 'readonly', document: 'readonly', fetch: 'readonly', localStorage: 'readonly', sessionStorage: 'readonly', FormData: 'readonly', XMLHttpRequest: 'readonly', URLSearchParams: 'readonly', navigator: 'readonly', location: 'readonly', history: 'readonly', Intl: 'readonly', console: 'readonly', setTimeout: 'readonly', clearTimeout: 'readonly', File: 'readonly', Event: 'readonly', CustomEvent: 'readonly', HTMLElement: 'readonly' } },
  },
);

import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    pool: 'forks',
    testTimeout: 30_000,
    hookTimeout: 60_000,
    env: { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true', NO_COLOR: '1' },
    // no test may reach real AWS: the SDK's credential chain finds nothing real here
    setupFiles: ['test/setup.ts'],
    // the staff page's script is built from src/web (the server serves templates/staff/app.js)
    globalSetup: ['test/global-setup.ts'],
  },
});

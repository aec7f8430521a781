/**
 * No test may reach real AWS with the developer's credentials: test/setup.ts replaces whatever the shell
 * that runs `npm test` holds (keys, a session token, a role to assume, a container's credentials endpoint)
 * with keys AWS would refuse, in this process and so in every CLI the tests start.
 */
import { describe, expect, it } from 'vitest';

describe('the tests run without the developer\'s AWS credentials', () => {
  it('replaces the shell\'s keys and drops every other credential source', () => {
    expect([process.env.AWS_ACCESS_KEY_ID, process.env.AWS_SECRET_ACCESS_KEY]).toEqual(['test', 'test']);
    for (const name of ['AWS_SESSION_TOKEN', 'AWS_PROFILE', 'AWS_ROLE_ARN', 'AWS_WEB_IDENTITY_TOKEN_FILE', 'AWS_CONTAINER_CREDENTIALS_RELATIVE_URI', 'AWS_CONTAINER_CREDENTIALS_FULL_URI']) {
      expect(process.env[name], name).toBeUndefined();
    }
    expect([process.env.AWS_CONFIG_FILE, process.env.AWS_SHARED_CREDENTIALS_FILE, process.env.AWS_EC2_METADATA_DISABLED]).toEqual(['/dev/null', '/dev/null', 'true']);
  });
});

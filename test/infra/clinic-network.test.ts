/**
 * The default clinic network (192.168.0.0/16) is private: on AWS the security group sees the clinic's public
 * address, so such a config admits nobody. The plan (deploy, --dry-run) and status warn, unless aws.subnetId
 * says the traffic arrives privately (a VPN / Direct Connect into that subnet's VPC).
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { deploy } from '../../src/commands/infra/deploy.js';
import { status } from '../../src/commands/infra/status.js';
import { clinicNetworkWarning, isPrivateCidr } from '../../src/infra/ec2.js';
import { planDeploy } from '../../src/infra/stack.js';
import { fakeAws, type FakeAws } from './fake-aws.js';
import { fakeBundles, hosted, openTestInfra, testConfig, testUi } from './helpers.js';

let fake: FakeAws;
beforeEach(() => {
  fake = fakeAws();
});
afterEach(() => fake.restore());

const network = (clinicCidrs: string[]) => ({ clinicCidrs, trustedProxies: [], serverPort: 8080 });
const aws = (extra: Record<string, unknown> = {}) => ({ region: 'sa-east-1', architecture: 'arm64' as const, sshCidrs: [], bucketPrefix: 'sorriso', ...extra });
const WARNING =
  'network.clinicCidrs (192.168.0.0/16) holds private ranges only, but AWS sees the clinic\'s public address: the security group admits nobody and the backend is unreachable — ' +
  'put the clinic\'s public IP in network.clinicCidrs (e.g. 203.0.113.10/32), or reach the VPC over a VPN / Direct Connect and set aws.subnetId to its subnet (docs/aws.md, "Reaching the backend")';

describe('a clinic network AWS can never see', () => {
  it('private means every address private: RFC 1918, CGNAT, loopback, link-local, IPv6 ULA', () => {
    for (const c of ['192.168.0.0/16', '10.0.0.0/8', '172.16.0.0/12', '172.31.5.0/24', '100.64.0.0/10', '127.0.0.1/32', '169.254.0.0/16', 'fd00::/8', 'fe80::/64']) {
      expect(isPrivateCidr(c), c).toBe(true);
    }
    for (const c of ['203.0.113.10/32', '0.0.0.0/0', '172.0.0.0/8', '192.0.0.0/8', '2001:db8::/32', '::/0']) {
      expect(isPrivateCidr(c), c).toBe(false);
    }
  });

  it('warns for private ranges only; not once a public address is there, nor with aws.subnetId (a VPN into that VPC)', async () => {
    const warn = async (cidrs: string[], extra?: Record<string, unknown>) => clinicNetworkWarning(await testConfig({ network: network(cidrs), aws: aws(extra) }));
    expect(await warn(['192.168.0.0/16'])).toBe(WARNING);
    expect(await warn(['192.168.1.0/24', '10.8.0.0/16'])).toMatch(/^network\.clinicCidrs \(192\.168\.1\.0\/24, 10\.8\.0\.0\/16\) holds private ranges only/);
    expect(await warn(['192.168.1.0/24', '203.0.113.10/32'])).toBeUndefined();
    expect(await warn(['203.0.113.10/32'])).toBeUndefined();
    expect(await warn(['192.168.0.0/16'], { subnetId: 'subnet-0abc1234' })).toBeUndefined();
  });

  it('deploy --dry-run and status print it (and --json carries it in the plan)', async () => {
    const config = await testConfig({ network: network(['192.168.0.0/16']) });
    expect((await planDeploy(await openTestInfra(fake, config))).warnings).toEqual([WARNING]);
    const deps = { infra: { bundles: fakeBundles(), sleep: async () => {} }, fetcher: async () => ({ status: 200, body: '{}' }) };
    const dry = testUi();
    expect(await hosted(deploy, { config: config.configPath, dryRun: true }, dry.ui, deps)).toBe(0);
    expect(dry.err()).toContain(`warn ${WARNING}`);
    const st = testUi();
    await hosted(status, { config: config.configPath }, st.ui, deps);
    expect(st.err()).toContain(`warn ${WARNING}`);
    const json = testUi({ json: true });
    await hosted(deploy, { config: config.configPath, dryRun: true }, json.ui, deps);
    expect(JSON.parse(json.out()).plan.warnings).toEqual([WARNING]);

    const reachable = await testConfig({ network: network(['203.0.113.10/32']) });
    const quiet = testUi();
    await hosted(deploy, { config: reachable.configPath, dryRun: true }, quiet.ui, deps);
    expect(quiet.err()).not.toContain('private ranges only');
  });
});

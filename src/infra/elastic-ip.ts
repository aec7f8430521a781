/**
 * The backend's stable address (only with network.domain): an Elastic IP, found by the stage's tags, associated
 * with the instance — again after the instance is replaced — so the A record and the certificate survive a
 * replacement. Destroy releases it once the instance is gone (an associated address cannot be released).
 */
import type { Address } from '@aws-sdk/client-ec2';
import { awsCall } from './context.js';
import { toTagList } from './names.js';
import { deleteStep, step, type Change } from './plan.js';
import { resource } from './resource.js';
import { httpsDomain } from './serving.js';

const ec2Sdk = () => import('@aws-sdk/client-ec2');

export interface ElasticIpState {
  address?: Address;
}

export const elasticIp = resource<ElasticIpState | undefined>({
  id: 'elastic-ip',
  // destroy looks for it whatever the config says now: an address left allocated is billed
  async read(ctx, stage) {
    if (stage.mode === 'deploy' && !httpsDomain(ctx.config)) return undefined;
    const { DescribeAddressesCommand } = await ec2Sdk();
    return awsCall(ctx, 'reading the Elastic IP', async () => {
      const out = await ctx.clients.ec2.send(new DescribeAddressesCommand({ Filters: Object.entries(ctx.tags('server')).map(([k, v]) => ({ Name: `tag:${k}`, Values: [v] })) }));
      const address = out.Addresses?.[0];
      if (address?.AllocationId && address.PublicIp) ctx.facts.elasticIp = { allocationId: address.AllocationId, publicIp: address.PublicIp };
      return { address };
    });
  },
  plan(ctx, state) {
    if (!state) return undefined;
    const allocate: Change = {
      what: 'allocate',
      apply: () =>
        awsCall(ctx, 'allocating the Elastic IP', async () => {
          const { AllocateAddressCommand } = await ec2Sdk();
          const out = await ctx.clients.ec2.send(
            new AllocateAddressCommand({ Domain: 'vpc', TagSpecifications: [{ ResourceType: 'elastic-ip', Tags: toTagList({ Name: ctx.names.instanceName, ...ctx.tags('server') }) }] }),
          );
          ctx.facts.elasticIp = { allocationId: out.AllocationId!, publicIp: out.PublicIp! };
        }),
    };
    return step({
      id: 'elastic-ip',
      component: 'server',
      kind: 'Elastic IP',
      name: state.address ? `${state.address.PublicIp} (${state.address.AllocationId})` : ctx.names.instanceName,
      exists: Boolean(state.address),
      changes: state.address ? [] : [allocate],
      createWhy: 'does not exist: allocate (US$3.60/month), kept when the instance is replaced',
      upToDateWhy: 'allocated',
    });
  },
  destroy(ctx, state) {
    const id = state?.address?.AllocationId;
    if (!id) return undefined;
    return deleteStep({ id: 'elastic-ip', component: 'server', kind: 'Elastic IP', name: `${state.address!.PublicIp} (${id})`, why: 'stage destroyed: released after the instance is gone' }, () =>
      awsCall(ctx, `releasing the Elastic IP ${state.address!.PublicIp}`, async () => {
        const { ReleaseAddressCommand } = await ec2Sdk();
        await ctx.clients.ec2.send(new ReleaseAddressCommand({ AllocationId: id }));
      }),
    );
  },
});

/** The address on the current instance: after the instance step, so a new or replaced instance gets it too. */
export const elasticIpAssociation = resource<undefined>({
  id: 'eip-association',
  read: async () => undefined,
  plan(ctx, _none, stage) {
    const state = stage.state<ElasticIpState | undefined>('elastic-ip');
    if (!state) return undefined;
    const instance = stage.state<{ instance?: { InstanceId?: string } }>('instance').instance;
    const instanceStep = stage.planned('instance');
    const replaced = instanceStep !== undefined && instanceStep.action !== 'no-change';
    const on = state.address?.InstanceId;
    const right = Boolean(state.address) && !replaced && on !== undefined && on === instance?.InstanceId;
    const associate: Change = {
      what: on ? `on ${on}: move it to ${replaced ? 'the new instance' : instance?.InstanceId}` : 'associate with the instance',
      apply: () =>
        awsCall(ctx, 'associating the Elastic IP', async () => {
          const { AssociateAddressCommand } = await ec2Sdk();
          await ctx.clients.ec2.send(new AssociateAddressCommand({ AllocationId: ctx.facts.elasticIp!.allocationId, InstanceId: ctx.facts.instance!.id, AllowReassociation: true }));
        }),
    };
    return step({
      id: 'eip-association',
      component: 'server',
      kind: 'Elastic IP association',
      name: state.address?.PublicIp ?? 'Elastic IP',
      exists: on !== undefined,
      changes: right ? [] : [associate],
      createWhy: 'not associated: associate with the instance',
      upToDateWhy: `on ${on}`,
    });
  },
  // terminating the instance frees the address
  destroy: () => undefined,
});

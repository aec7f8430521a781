/**
 * The functions' CloudWatch log groups (/aws/lambda/<function>). Lambda would create them on first run with no
 * retention, keeping patient and appointment ids forever; deploy creates them first, tagged, with a retention
 * of aws.logRetentionDays (default 90), and puts the retention back when it was changed by hand. Destroy keeps
 * them with the patient data and deletes them with --delete-patient-data.
 */
import { awsCall, isAwsError, type InfraContext } from './context.js';
import { functionSpecs, type FunctionSpec } from './lambdas.js';
import { deleteStep, keepStep, step, type Change } from './plan.js';
import { resource } from './resource.js';

const logsSdk = () => import('@aws-sdk/client-cloudwatch-logs');

export const DEFAULT_LOG_RETENTION_DAYS = 90;
export const logGroupName = (functionName: string) => `/aws/lambda/${functionName}`;
export const logRetentionDays = (ctx: InfraContext) => ctx.config.aws.logRetentionDays ?? DEFAULT_LOG_RETENTION_DAYS;

export interface LogGroupState {
  exists: boolean;
  /** days; undefined = never expire */
  retentionDays?: number;
  /** the endpoint does not answer CloudWatch Logs calls (emulators) */
  unknown?: boolean;
}

export function logGroupResource(spec: FunctionSpec) {
  const name = logGroupName(spec.name);
  const base = { id: `log-group:${spec.key}`, component: spec.component, kind: 'log group', name };
  return resource<LogGroupState>({
    id: base.id,
    async read(ctx) {
      const { DescribeLogGroupsCommand } = await logsSdk();
      let out;
      try {
        out = await awsCall(ctx, `reading log group ${name}`, () => ctx.clients.logs.send(new DescribeLogGroupsCommand({ logGroupNamePrefix: name })));
      } catch (err) {
        // emulators rarely answer CloudWatch Logs; against AWS itself an error is an error
        if (ctx.target.endpoint && (err as { kind?: string }).kind === 'unavailable') return { exists: false, unknown: true };
        throw err;
      }
      const group = out.logGroups?.find((g) => g.logGroupName === name);
      return group ? { exists: true, retentionDays: group.retentionInDays } : { exists: false };
    },
    plan(ctx, state) {
      if (state.unknown) return keepStep({ ...base, why: `not checked (${ctx.where} does not answer CloudWatch Logs calls)` });
      const days = logRetentionDays(ctx);
      const retention: Change = {
        what: `retention ${state.retentionDays === undefined ? 'never expire' : `${state.retentionDays} days`} → ${days} days`,
        apply: () =>
          awsCall(ctx, `setting the retention of ${name}`, async () => {
            const { PutRetentionPolicyCommand } = await logsSdk();
            await ctx.clients.logs.send(new PutRetentionPolicyCommand({ logGroupName: name, retentionInDays: days }));
          }),
      };
      const create: Change = {
        what: 'create',
        apply: () =>
          awsCall(ctx, `creating log group ${name}`, async () => {
            const { CreateLogGroupCommand } = await logsSdk();
            try {
              await ctx.clients.logs.send(new CreateLogGroupCommand({ logGroupName: name, tags: ctx.tags(spec.component) }));
            } catch (err) {
              // the function ran between the read and now and Lambda made it: the retention below still applies
              if (!isAwsError(err, 'ResourceAlreadyExistsException')) throw err;
            }
          }),
      };
      return step({
        ...base,
        exists: state.exists,
        createWhy: `does not exist (logs kept ${days} days)`,
        upToDateWhy: `logs kept ${days} days`,
        changes: state.exists ? (state.retentionDays === days ? [] : [retention]) : [create, retention],
      });
    },
    destroy(ctx, state, stage) {
      if (!state.exists) return undefined;
      if (!stage.deletePatientData) return keepStep({ ...base, why: 'kept: logs name patients and appointments by id (--delete-patient-data deletes them)' });
      return deleteStep({ ...base, why: 'its logs are deleted' }, () =>
        awsCall(ctx, `deleting log group ${name}`, async () => {
          const { DeleteLogGroupCommand } = await logsSdk();
          try {
            await ctx.clients.logs.send(new DeleteLogGroupCommand({ logGroupName: name }));
          } catch (err) {
            if (!isAwsError(err, 'ResourceNotFoundException')) throw err;
          }
        }),
      );
    },
  });
}

export const logGroupResources = (ctx: InfraContext) => functionSpecs(ctx).map(logGroupResource);

/**
 * The WhatsApp account's event topic → the whatsapp-events Lambda: a Lambda permission for sns.amazonaws.com
 * limited to that topic (SourceArn) and the topic's subscription of the function. Only with
 * `whatsapp.eventTopicArn` (the topic is the WhatsApp Business Account's event destination, set up in End
 * User Messaging Social: clinica subscribes to it, it does not own it). Destroy unsubscribes; the function's
 * deletion takes its permission with it.
 */
import type { SNSClient } from '@aws-sdk/client-sns';
import { snsClient } from '../aws/clients.js';
import { awsCall, isAwsError, type InfraContext } from './context.js';
import type { FunctionState } from './lambdas.js';
import { arn } from './names.js';
import { step, type Change, type Step } from './plan.js';
import { resource } from './resource.js';

export const SNS_PERMISSION_ID = 'clinica-sns-whatsapp';
const SNS_PRINCIPAL = 'sns.amazonaws.com';

export interface WhatsAppEventsState {
  topicArn?: string;
  functionExists: boolean;
  /** the topic's subscription of our function, if any */
  subscriptionArn?: string;
  /** the permission statement for SNS: its source topic, principal and action */
  permission?: { sourceArn?: string; principal?: string; action?: string };
}

const clients = new WeakMap<InfraContext, Promise<SNSClient>>();
/** The SNS client, made once per deploy (only stages with WhatsApp need it). */
function sns(ctx: InfraContext): Promise<SNSClient> {
  let c = clients.get(ctx);
  if (!c) {
    c = snsClient(ctx.target);
    clients.set(ctx, c);
  }
  return c;
}

/** The topic's subscription of the function; its SNS permission from the resource policy the function's step read. */
export async function readWhatsAppEvents(ctx: InfraContext, fnState: FunctionState | undefined): Promise<WhatsAppEventsState> {
  const functionExists = Boolean(fnState?.exists);
  const topicArn = ctx.config.whatsapp?.eventTopicArn;
  if (!topicArn) return { functionExists };
  const fn = ctx.names.whatsappEventsFunction;
  const fnArn = arn.function(ctx.arns, fn);
  return awsCall(ctx, `reading the WhatsApp event topic's subscription`, async () => {
    const state: WhatsAppEventsState = { topicArn, functionExists };
    const { ListSubscriptionsByTopicCommand } = await import('@aws-sdk/client-sns');
    const client = await sns(ctx);
    let next: string | undefined;
    do {
      const out = await client.send(new ListSubscriptionsByTopicCommand({ TopicArn: topicArn, NextToken: next }));
      const ours = out.Subscriptions?.find((s) => s.Protocol === 'lambda' && s.Endpoint === fnArn && s.SubscriptionArn?.startsWith('arn:'));
      if (ours) state.subscriptionArn = ours.SubscriptionArn;
      next = ours ? undefined : out.NextToken;
    } while (next);
    const st = fnState?.exists ? fnState.statements.find((s) => s.Sid === SNS_PERMISSION_ID) : undefined;
    if (st) {
      const p = st.Principal;
      state.permission = {
        sourceArn: st.Condition?.ArnLike?.['AWS:SourceArn'],
        principal: typeof p === 'string' ? p : p && typeof p === 'object' ? Object.values(p as Record<string, string>).flat().join(', ') : undefined,
        action: [st.Action].flat().join(','),
      };
    }
    return state;
  });
}

export function planWhatsAppEvents(ctx: InfraContext, state: WhatsAppEventsState): Step | undefined {
  const topicArn = state.topicArn;
  if (!topicArn) return undefined;
  const fn = ctx.names.whatsappEventsFunction;
  const fnArn = arn.function(ctx.arns, fn);
  const p = state.permission;
  const permissionOk = p?.sourceArn === topicArn && p?.principal === SNS_PRINCIPAL && p?.action === 'lambda:InvokeFunction';
  const changes: Change[] = [];
  if (!permissionOk) {
    changes.push({
      what: p ? 'SNS invoke permission differs' : `allow SNS (the topic ${topicArn} only) to invoke the function`,
      apply: () =>
        awsCall(ctx, `allowing SNS to invoke ${fn}`, async () => {
          const { AddPermissionCommand, RemovePermissionCommand } = await import('@aws-sdk/client-lambda');
          if (p) await ctx.clients.lambda.send(new RemovePermissionCommand({ FunctionName: fn, StatementId: SNS_PERMISSION_ID }));
          await ctx.clients.lambda.send(
            new AddPermissionCommand({ FunctionName: fn, StatementId: SNS_PERMISSION_ID, Action: 'lambda:InvokeFunction', Principal: SNS_PRINCIPAL, SourceArn: topicArn }),
          );
        }),
    });
  }
  if (!state.subscriptionArn) {
    changes.push({
      what: `subscribe ${fn} to ${topicArn}`,
      apply: () =>
        awsCall(ctx, `subscribing ${fn} to the WhatsApp event topic`, async () => {
          const { SubscribeCommand } = await import('@aws-sdk/client-sns');
          await (await sns(ctx)).send(new SubscribeCommand({ TopicArn: topicArn, Protocol: 'lambda', Endpoint: fnArn, ReturnSubscriptionArn: true }));
        }),
    });
  }
  return step({
    id: 'whatsapp-events',
    component: 'whatsapp',
    kind: 'SNS → Lambda subscription',
    name: `${topicArn} → ${fn}`,
    exists: Boolean(state.subscriptionArn || state.permission),
    changes,
    createWhy: 'not wired: SNS invoke permission + the topic subscription',
  });
}

export function destroyWhatsAppEvents(ctx: InfraContext, state: WhatsAppEventsState): Step | undefined {
  const subscriptionArn = state.subscriptionArn;
  if (!subscriptionArn || !state.topicArn) return undefined;
  return {
    id: 'whatsapp-events',
    component: 'whatsapp',
    kind: 'SNS → Lambda subscription',
    name: `${state.topicArn} → ${ctx.names.whatsappEventsFunction}`,
    action: 'delete',
    why: 'stage destroyed (the topic is the WhatsApp account\'s and stays)',
    drift: false,
    run: () =>
      awsCall(ctx, 'unsubscribing from the WhatsApp event topic', async () => {
        const { UnsubscribeCommand } = await import('@aws-sdk/client-sns');
        try {
          await (await sns(ctx)).send(new UnsubscribeCommand({ SubscriptionArn: subscriptionArn }));
        } catch (err) {
          if (!isAwsError(err, 'NotFoundException') && !isAwsError(err, 'NotFound')) throw err;
        }
      }),
  };
}

/** The topic → function wiring; in the stack after the functions. */
export const whatsappEvents = resource({
  id: 'whatsapp-events',
  async read(ctx, stage) {
    const fn = ctx.config.whatsapp?.eventTopicArn ? await stage.state<FunctionState>('lambda:whatsapp-events') : undefined;
    return readWhatsAppEvents(ctx, fn);
  },
  plan: planWhatsAppEvents,
  destroy: destroyWhatsAppEvents,
});

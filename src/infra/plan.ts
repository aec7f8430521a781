/**
 * The one model behind deploy, deploy --dry-run, status and destroy: a plan is an ordered list of named steps,
 * each saying what happens to one resource (create, update, no change, delete) and why. Steps carry their own
 * `run`; nothing runs while planning, so a dry run is the plan printed and nothing else.
 */
import type { Component } from './names.js';
import type { OnProgress, StepProgress } from '../progress.js';

export type Action = 'create' | 'update' | 'no-change' | 'delete';

/** One difference between the actual and the desired state, and the calls that remove it. */
export interface Change {
  /** for the plan's "why": "versioning Suspended → Enabled" */
  what: string;
  apply(): Promise<void>;
}

export interface Step {
  /** unique in the plan, e.g. "data-bucket", "lambda:reminders" */
  id: string;
  component: Component;
  /** "S3 bucket", "IAM role", "Lambda function", … */
  kind: string;
  /** the resource's name (or id) */
  name: string;
  action: Action;
  why: string;
  /** the resource exists but differs from the config (someone changed it, or the config changed) */
  drift: boolean;
  run?(): Promise<void>;
}

export interface StepSpec {
  id: string;
  component: Component;
  kind: string;
  name: string;
  exists: boolean;
  /** for a missing resource: the create call(s) first, then the settings */
  changes: Change[];
  createWhy?: string;
  upToDateWhy?: string;
}

export function step(spec: StepSpec): Step {
  const { changes } = spec;
  const runAll = async () => {
    for (const change of changes) await change.apply();
  };
  const base = { id: spec.id, component: spec.component, kind: spec.kind, name: spec.name };
  if (!spec.exists) return { ...base, action: 'create', why: spec.createWhy ?? 'does not exist', drift: false, run: runAll };
  if (changes.length) return { ...base, action: 'update', why: changes.map((c) => c.what).join('; '), drift: true, run: runAll };
  return { ...base, action: 'no-change', why: spec.upToDateWhy ?? 'up to date', drift: false };
}

export function deleteStep(base: Omit<Step, 'action' | 'drift' | 'run'>, run: () => Promise<void>): Step {
  return { ...base, action: 'delete', drift: false, run };
}

export function keepStep(base: Omit<Step, 'action' | 'drift' | 'run'>): Step {
  return { ...base, action: 'no-change', drift: false };
}

export interface Plan {
  stage: string;
  region: string;
  account: string;
  steps: Step[];
  /**
   * what would go wrong although every step succeeds, for the operator: a clinic network AWS can never see, a
   * public site without what the law or the CFO asks it to show
   */
  warnings?: string[];
  /** the staff page is served over plain HTTP (network.plainHttp): deploy and status warn in red */
  plainHttp?: boolean;
}

export const pending = (plan: Plan) => plan.steps.filter((s) => s.action !== 'no-change');

export function summary(plan: Plan): Record<Action, number> {
  const counts: Record<Action, number> = { create: 0, update: 0, 'no-change': 0, delete: 0 };
  for (const s of plan.steps) counts[s.action]++;
  return counts;
}

export interface ApplyResult {
  applied: Step[];
  failed?: { step: Step; error: unknown };
}

/**
 * Runs the plan's steps in order; stops at the first failure (the caller reports what was done). Each step's
 * start, end or failure goes on the progress channel (awaited: a host may draw before the step runs).
 */
export async function applyPlan(plan: Plan, progress?: OnProgress<StepProgress<Step>>): Promise<ApplyResult> {
  const applied: Step[] = [];
  const total = pending(plan).filter((s) => s.run).length;
  const emit = async (step: Step, phase: StepProgress<Step>['phase'], error?: unknown) =>
    progress?.({ done: applied.length, total, item: { step, phase, ...(phase === 'fail' ? { error } : {}) } });
  for (const s of plan.steps) {
    if (!s.run || s.action === 'no-change') continue;
    await emit(s, 'start');
    try {
      await s.run();
    } catch (error) {
      await emit(s, 'fail', error);
      return { applied, failed: { step: s, error } };
    }
    applied.push(s);
    await emit(s, 'done');
  }
  return { applied };
}

/** Plain-data form of a plan (for --json and the outputs file). */
export function planJson(plan: Plan) {
  return {
    stage: plan.stage,
    region: plan.region,
    account: plan.account,
    summary: summary(plan),
    warnings: plan.warnings ?? [],
    plainHttp: Boolean(plan.plainHttp),
    steps: plan.steps.map(({ id, component, kind, name, action, why, drift }) => ({ id, component, kind, name, action, why, drift })),
  };
}

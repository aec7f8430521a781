/**
 * The one shape of every AWS resource module: read the actual state, plan a step against the config, and the
 * step that destroys it. src/infra/stack.ts lists the resources once, in dependency order; deploy and status
 * plan them in that order, destroy walks the same list backwards.
 */
import type { OnProgress } from '../progress.js';
import type { InfraContext } from './context.js';
import type { Step } from './plan.js';

export type Mode = 'deploy' | 'destroy';

/**
 * The item of a stage's progress events (the one channel, src/progress.ts) while it is read and planned:
 * what it is doing; while destroy empties a bucket: the bucket, with the object versions deleted so far as
 * the event's `done`. The CLI retells them on its spinner.
 */
export type StageActivity = { doing: 'read' | 'bundle' | 'site' } | { doing: 'empty'; bucket: string };

/** What a resource may ask of the rest of the stage while it is read. */
export interface StageReads {
  mode: Mode;
  /** another resource's state (by its id), read once and shared; reads run in parallel otherwise */
  state<T>(id: string): Promise<T>;
}

/** What a resource may ask of the stage while it is planned. */
export interface StagePlan {
  /** another resource's state (already read) */
  state<T>(id: string): T;
  /** the step planned for an earlier resource of the stack */
  planned(id: string): Step | undefined;
  /** a problem the operator should see although every step succeeds */
  warn(text: string): void;
  progress: OnProgress<StageActivity>;
}

export interface StageDestroy {
  state<T>(id: string): T;
  /** the resource exists and carries this clinic's and this stage's tags, or does not exist */
  ours(id: string): boolean;
  deletePatientData: boolean;
  /** told how many object versions were deleted so far while emptying a bucket */
  progress?: OnProgress<StageActivity>;
}

/** A resource's name and tags, for destroy's check that it is this clinic's and this stage's. */
export interface Found {
  what: string;
  /** undefined when the resource does not exist */
  tags?: Record<string, string>;
}

export interface Resource<S = unknown> {
  /** unique in the stack; also the id of the step it plans */
  id: string;
  read(ctx: InfraContext, stage: StageReads): Promise<S>;
  /** undefined for what only informs other resources (the default VPC) */
  plan(ctx: InfraContext, state: S, stage: StagePlan): Promise<Step | undefined> | Step | undefined;
  /** undefined when there is nothing to remove */
  destroy(ctx: InfraContext, state: S, stage: StageDestroy): Step | undefined;
  /** for destroy: what it is and its tags; only resources clinica tags and deletes have one */
  owner?(ctx: InfraContext, state: S): Found;
}

/** Typed resource constructor (keeps S inferred from read). */
export const resource = <S>(r: Resource<S>): Resource<S> => r;

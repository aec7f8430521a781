/**
 * The one progress channel of bulk work (reminders, patient import, image import) and of a plan being applied
 * (deploy, destroy: one event as each step starts, is done, or fails). Core code emits events and
 * never draws; each host renders them its way: the CLI as a bar (`Ui.progressOf`), the server and the Lambdas
 * as log lines or not at all.
 */
export interface ProgressEvent<I = undefined> {
  /** items finished so far (0 on the first event of a run) */
  done: number;
  /** items in the run, when the emitter knows it */
  total?: number;
  /** the item just finished (absent on the first event) */
  item?: I;
}

export type OnProgress<I = undefined> = (event: ProgressEvent<I>) => void;

/** The item of a plan's progress events: a step as it starts, is done, or fails (with its error). */
export interface StepProgress<S> {
  step: S;
  phase: 'start' | 'done' | 'fail';
  error?: unknown;
}

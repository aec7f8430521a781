/**
 * The one progress channel of bulk work (reminders, patient import, image import). Core code emits events and
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

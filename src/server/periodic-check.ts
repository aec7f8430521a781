/**
 * A check that runs at most every `everyMs` and whose runs are shared: callers that come while it runs wait for
 * that run, callers within `everyMs` of the last finished run go on at once. A failed run does not count, so
 * the next caller runs it again. The server's memories use it to look at S3 for changes made elsewhere
 * (patient-directory.ts, patient-records.ts).
 */
export class PeriodicCheck {
  private doneAt = -Infinity;
  private running: Promise<void> | undefined;

  constructor(
    private readonly check: () => Promise<void>,
    private readonly everyMs: number,
    private readonly now: () => number,
  ) {}

  /** Runs the check if it is due (or joins the run under way). */
  async due(): Promise<void> {
    if (this.now() - this.doneAt < this.everyMs) return;
    this.running ??= this.check()
      .then(() => {
        this.doneAt = this.now();
      })
      .finally(() => {
        this.running = undefined;
      });
    await this.running;
  }

  /** Makes the next caller run it, whenever it last ran. */
  reset(): void {
    this.doneAt = -Infinity;
  }
}

/**
 * Runs `pass` every `everyMs`, never two at once (a pass still running when the next is
 * due makes that one skip); a failed pass is reported and the next one runs as usual.
 */
export class Periodic {
  private timer?: NodeJS.Timeout;
  private running?: Promise<void>;

  constructor(
    private readonly pass: () => Promise<unknown>,
    private readonly everyMs: number,
    private readonly onError: (err: unknown) => void,
  ) {}

  /** Starts the timer; `now`: also a first pass at once. */
  start(now = false): void {
    if (now) this.tick();
    this.timer = setInterval(() => this.tick(), this.everyMs);
    this.timer.unref();
  }

  /** Stops the timer and waits for a pass in progress. */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.running;
  }

  private tick(): void {
    if (this.running) return;
    this.running = this.pass()
      .then(() => undefined, this.onError)
      .finally(() => (this.running = undefined));
  }
}

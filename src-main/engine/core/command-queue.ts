/**
 * Keeps the engine from being re-entered: work runs one piece at a time, and a command that
 * arrives while work is running (a listener calling back into the engine from inside an event) is
 * applied after that work is done, in arrival order.
 */
export class CommandQueue<Command> {
  private depth = 0;
  private readonly waiting: Command[] = [];

  /** `failed`: a command whose apply threw (the queue goes on with the next). */
  constructor(
    private readonly apply: (command: Command) => void,
    private readonly failed: (command: Command, error: unknown) => void = () => undefined,
  ) {}

  /** Applies `command` now, or after the work in progress. */
  submit(command: Command): void {
    if (this.depth > 0) this.waiting.push(command);
    else this.run(() => this.applyOne(command));
  }

  private applyOne(command: Command): void {
    try {
      this.apply(command);
    } catch (error) {
      this.failed(command, error);
    }
  }

  /** Runs `work`; commands submitted meanwhile wait until it (and any enclosing work) is done. */
  run(work: () => void): void {
    this.depth++;
    try {
      work();
    } finally {
      this.depth--;
    }
    while (this.depth === 0 && this.waiting.length > 0) {
      const next = this.waiting.shift() as Command;
      this.run(() => this.applyOne(next));
    }
  }
}

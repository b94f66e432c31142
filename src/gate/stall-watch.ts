// dockerd locks a container for the whole of a `docker cp` (archive get or put) and an export, and
// every inspect of that container waits for the lock: the daemon's passes too. A client that stops
// reading the answer (`docker cp c:/big - | sleep 3600`) or stops sending the rest of an upload
// would hold every inspect of it, and so ds01's enforcement, for as long as it likes. The gate cuts
// such a stream off once it has waited on its client for the stall timeout. Only time spent waiting
// on the client counts: not dockerd being slow to produce bytes or to take them.

/** The clock of one stream: runs while the stream waits on its client, `cut` once it ran `ms` unbroken. */
export class StallWatch {
  private timer: NodeJS.Timeout | null = null;
  private done = false;

  constructor(
    private readonly ms: number,
    private readonly cut: () => void,
  ) {}

  /** The stream waits on its client (again: the client moved, and the clock starts over). */
  waiting(): void {
    if (this.done) return;
    if (this.timer) this.timer.refresh();
    else {
      this.timer = setTimeout(() => {
        this.done = true;
        this.cut();
      }, this.ms);
      this.timer.unref();
    }
  }

  /** The stream does not wait on its client now (it waits on dockerd, or on nothing). */
  notWaiting(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  /** The stream ended. */
  stop(): void {
    this.notWaiting();
    this.done = true;
  }
}

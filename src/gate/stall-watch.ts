// dockerd locks a container for the whole of a `docker cp` (archive get or put) and an export, and
// every inspect of that container waits for the lock: the daemon's passes too. A client that stops
// reading the answer (`docker cp c:/big - | sleep 3600`) or stops sending the rest of an upload
// would hold every inspect of it, and so ds01's enforcement, for as long as it likes. The gate cuts
// such a stream off once it has waited on its client for the stall timeout. Only time spent waiting
// on the client counts: not dockerd being slow to produce bytes or to take them.
//
// A client that moves a byte now and then, just inside the timeout, never waits the timeout
// unbroken; so the watch also asks for a least rate: over each stall timeout's worth of time spent
// waiting on the client, the client must have moved `minBytesPerS` per second of it. A slow link
// above that rate is never cut; a trickle is, after one timeout of waiting.

export type StallCut = { kind: "stalled"; waitedMs: number } | { kind: "trickle"; waitedMs: number; moved: number; needed: number };

/** The clock of one stream: runs while the stream waits on its client, `cut` once it ran `ms` unbroken. */
export class StallWatch {
  private timer: NodeJS.Timeout | null = null;
  private done = false;
  // The rate window: time waited on the client in it, and bytes moved in it.
  private windowTimer: NodeJS.Timeout | null = null;
  private waitingSince: number | null = null;
  private waited = 0;
  private moved = 0;

  constructor(
    private readonly ms: number,
    private readonly cut: (why: StallCut) => void,
    private readonly minBytesPerS = 0,
    private readonly now: () => number = Date.now,
  ) {}

  /** The stream waits on its client (again: the client moved, and the clock starts over). */
  waiting(): void {
    if (this.done) return;
    if (this.timer) this.timer.refresh();
    else {
      this.timer = setTimeout(() => this.end({ kind: "stalled", waitedMs: this.ms }), this.ms);
      this.timer.unref();
    }
    if (this.waitingSince === null) {
      this.waitingSince = this.now();
      this.armWindow();
    }
  }

  /** The stream does not wait on its client now (it waits on dockerd, or on nothing). */
  notWaiting(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    if (this.waitingSince !== null) {
      this.waited += this.now() - this.waitingSince;
      this.waitingSince = null;
    }
    if (this.windowTimer) clearTimeout(this.windowTimer);
    this.windowTimer = null;
  }

  /** The client took (or sent) `bytes`. */
  took(bytes: number): void {
    this.moved += bytes;
  }

  /** The stream ended. */
  stop(): void {
    this.notWaiting();
    this.done = true;
  }

  private armWindow(): void {
    if (this.minBytesPerS <= 0 || this.done) return;
    this.windowTimer = setTimeout(() => this.windowEnd(), Math.max(0, this.ms - this.waited));
    this.windowTimer.unref();
  }

  /** A timeout's worth of waiting on the client has passed: enough bytes in it, or cut. */
  private windowEnd(): void {
    this.windowTimer = null;
    const needed = Math.ceil((this.minBytesPerS * this.ms) / 1000);
    if (this.moved < needed) {
      this.end({ kind: "trickle", waitedMs: this.ms, moved: this.moved, needed });
      return;
    }
    this.waited = 0;
    this.moved = 0;
    this.waitingSince = this.now();
    this.armWindow();
  }

  private end(why: StallCut): void {
    if (this.done) return;
    this.stop();
    this.cut(why);
  }
}

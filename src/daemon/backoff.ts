// Exponential backoff for retries against outside systems (Docker, the event stream): 1 s, 2 s,
// 4 s, ... capped at 30 s; reset after a success (kubernetes-client ListWatch does the same).

export interface BackoffOptions {
  initialMs?: number;
  maxMs?: number;
  factor?: number;
}

export const DEFAULT_BACKOFF = { initialMs: 1_000, maxMs: 30_000, factor: 2 } as const;

export class Backoff {
  private readonly initialMs: number;
  private readonly maxMs: number;
  private readonly factor: number;
  private failures = 0;

  constructor(opts: BackoffOptions = {}) {
    this.initialMs = opts.initialMs ?? DEFAULT_BACKOFF.initialMs;
    this.maxMs = opts.maxMs ?? DEFAULT_BACKOFF.maxMs;
    this.factor = opts.factor ?? DEFAULT_BACKOFF.factor;
  }

  /** Records one more failure and returns how long to wait before the next try. */
  next(): number {
    const ms = Math.min(this.maxMs, this.initialMs * this.factor ** this.failures);
    this.failures++;
    return ms;
  }

  /** Failures since the last reset. */
  get attempts(): number {
    return this.failures;
  }

  reset(): void {
    this.failures = 0;
  }
}

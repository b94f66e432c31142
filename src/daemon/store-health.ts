// The daemon's own store failing (disk full, I/O error, a read-only file system): kept apart from
// the outside systems the daemon probes, with its own /healthz reason and counter, so a full disk
// never reads as "GPU probe failing" nor counts as an nvidia-smi error.
import { errorText } from "../errors.js";
import type { Logger } from "../util/log.js";

export class StoreHealth {
  /** What failed last and why, until a store write succeeds again; null when healthy. */
  error: string | null = null;

  constructor(private readonly d: { count(): void; log: Logger }) {}

  failed(e: unknown, during: string): void {
    const first = this.error === null;
    this.error = `${during}: ${errorText(e)}`;
    this.d.count();
    if (first) this.d.log.error({ during, error: errorText(e) }, "store write failed");
  }

  ok(): void {
    if (this.error !== null) this.d.log.info({ was: this.error }, "store writes again");
    this.error = null;
  }

  /** Runs a store write; a failure is noted and thrown on. */
  guard<T>(during: string, fn: () => T): T {
    try {
      const r = fn();
      this.ok();
      return r;
    } catch (e) {
      this.failed(e, during);
      throw e;
    }
  }

  /** A write outside a pass: a failure is noted (healthz, counter) and not thrown, so what called goes on. */
  attempt(during: string, fn: () => void): void {
    try {
      this.guard(during, fn);
    } catch {
      // noted by guard
    }
  }
}

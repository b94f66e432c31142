// The daemon's watch on Docker between passes: the event stream (reconnecting with backoff) and
// what each event means (container-events.ts). The status learns when the stream goes up or down
// and when an inspect fails; a pass is asked for whenever events may have been missed.
import type { ObservedContainer } from "../model/container.js";
import type { RecordStore } from "../model/ports.js";
import type { PassDeps } from "../pass/run-pass.js";
import type { Clock } from "../util/clock.js";
import type { Logger } from "../util/log.js";
import { ContainerEventHandler } from "./container-events.js";
import type { DaemonStatus } from "./daemon-status.js";
import { EventStream } from "./event-stream.js";
import type { ExitFacts } from "./exit-audit.js";
import type { Fleet } from "./fleet.js";
import type { Timers } from "./timers.js";

/** How soon after a GPU container exits the follow-up pass (health check of its GPUs) runs. */
export const EXIT_PASS_DELAY_MS = 2_000;

export interface DockerWatchDeps {
  fleet: Fleet;
  /** The running config's runtime and identity rules. */
  deps(): Pick<PassDeps, "runtime" | "identity">;
  status: Pick<DaemonStatus, "streamUp" | "streamDown" | "inspectFailed">;
  store: Pick<RecordStore, "commit">;
  clock: Clock;
  log: Logger;
  timers: Timers;
  requestPass(why: string, delayMs: number): void;
}

export class DockerWatch {
  private readonly handler: ContainerEventHandler;
  private readonly stream: EventStream;

  constructor(d: DockerWatchDeps) {
    const { status, log } = d;
    this.handler = new ContainerEventHandler({
      fleet: d.fleet, runtime: () => d.deps().runtime, identity: () => d.deps().identity, store: d.store, clock: d.clock, log,
      requestPass: (why, delay) => d.requestPass(why, delay),
      exitPassDelayMs: EXIT_PASS_DELAY_MS,
      onInspectFailed: () => {
        status.inspectFailed();
        d.requestPass("inspect after a docker event failed", 0);
      },
    });
    this.stream = new EventStream({
      runtime: () => d.deps().runtime,
      onEvent: (e) => this.handler.handle(e),
      onUp: () => {
        // Events may have been missed while it was down: re-list soon (level-triggered).
        if (status.streamUp()) d.requestPass("event stream reconnected", 0);
      },
      onDown: (error) => status.streamDown(error),
      timers: d.timers,
      log,
    });
  }

  start(): void {
    this.stream.start();
  }

  /** Resolves once the stream is up, or after `ms` at the latest. */
  upWithin(ms: number): Promise<void> {
    return this.stream.upWithin(ms);
  }

  stop(): Promise<void> {
    return this.stream.stop();
  }

  /** Audits an exit a pass's listing found (its event was missed). */
  accountMissed(c: ObservedContainer, how: ExitFacts["how"]): void {
    this.handler.accountMissed(c, how);
  }
}

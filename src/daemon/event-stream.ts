// Follows the Docker event stream and reconnects with backoff (1 s → 30 s) whenever it drops,
// e.g. when the engine restarts. The stream counts as up once it has stayed open for `settleMs`
// (or delivered an event); then the backoff starts over.
import { errorText } from "../errors.js";
import type { ContainerEvent, ContainerRuntime } from "../model/ports.js";
import type { Logger } from "../util/log.js";
import { Backoff } from "./backoff.js";
import type { Timers } from "./timers.js";

export interface EventStreamOptions {
  runtime: () => Pick<ContainerRuntime, "events">;
  onEvent(e: ContainerEvent): void;
  /** Given: image events are followed too (their action: tag, untag, pull, load, delete…). */
  onImageEvent?(action: string): void;
  onUp(): void;
  onDown(error: string): void;
  timers: Timers;
  log: Logger;
  backoff?: Backoff;
  settleMs?: number;
}

export class EventStream {
  private stopped = true;
  private abort: AbortController | null = null;
  private wake: (() => void) | null = null;
  private loop: Promise<void> | null = null;
  private readonly backoff: Backoff;
  /** Who waits (upWithin) for the stream to be up. */
  private upWaiters: (() => void)[] = [];

  constructor(private readonly opts: EventStreamOptions) {
    this.backoff = opts.backoff ?? new Backoff();
  }

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.loop = this.run();
  }

  /** Resolves when the stream is next up, or after `ms` at the latest (a Docker that is down holds nobody up). */
  upWithin(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        this.opts.timers.clear(t);
        this.upWaiters = this.upWaiters.filter((w) => w !== done);
        resolve();
      };
      const t = this.opts.timers.set(done, ms);
      this.upWaiters.push(done);
    });
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.abort?.abort();
    this.wake?.();
    await this.loop;
  }

  private async run(): Promise<void> {
    while (!this.stopped) {
      const ac = new AbortController();
      this.abort = ac;
      let up = false;
      const markUp = () => {
        if (up || this.stopped) return;
        up = true;
        this.backoff.reset();
        this.opts.onUp();
        for (const w of this.upWaiters.splice(0)) w();
      };
      const settle = this.opts.timers.set(markUp, this.opts.settleMs ?? 1000);
      try {
        const onImage = this.opts.onImageEvent;
        await this.opts.runtime().events(
          (e) => {
            markUp();
            try {
              this.opts.onEvent(e);
            } catch (err) {
              this.opts.log.error({ action: e.action, container: e.name, error: errorText(err) }, "docker event handling failed");
            }
          },
          ac.signal,
          onImage
            ? (action) => {
                markUp();
                onImage(action);
              }
            : undefined,
        );
      } catch (e) {
        if (!this.stopped) this.opts.onDown(errorText(e));
      } finally {
        this.opts.timers.clear(settle);
      }
      if (this.stopped) break;
      const waitMs = this.backoff.next();
      this.opts.log.debug({ wait_ms: waitMs }, "docker event stream reconnecting");
      await new Promise<void>((resolve) => {
        const t = this.opts.timers.set(resolve, waitMs);
        this.wake = () => {
          this.opts.timers.clear(t);
          resolve();
        };
      });
      this.wake = null;
    }
  }
}

// The daemon's one ordered loop: a GPU sample every sample interval and a full pass every pass
// interval, one job at a time, never overlapping. A pass requested while a job runs is queued once
// (requests collapse into the earliest due time). When both are due the pass goes first.
import type { Clock } from "../util/clock.js";
import type { Logger } from "../util/log.js";
import type { Timers } from "./timers.js";

export type JobKind = "pass" | "sample";

export interface PassOutcome {
  /** Try again this soon instead of waiting a whole interval (backoff after a failed pass). */
  retryInMs: number | null;
}

export interface SchedulerOptions {
  clock: Clock;
  timers: Timers;
  sampleIntervalMs: number;
  passIntervalMs: number;
  runSample(): Promise<void>;
  runPass(why: string): Promise<PassOutcome>;
  log: Logger;
}

export class Scheduler {
  private sampleMs: number;
  private passMs: number;
  private nextPassAt = Infinity;
  private nextSampleAt = Infinity;
  private passWhy = "schedule";
  private timer: unknown = null;
  private current: Promise<void> | null = null;
  private currentKind: JobKind | null = null;
  private stopped = true;

  constructor(private readonly opts: SchedulerOptions) {
    this.sampleMs = opts.sampleIntervalMs;
    this.passMs = opts.passIntervalMs;
  }

  /** First pass at once, first sample one sample interval later. */
  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    const now = this.opts.clock.now();
    this.nextPassAt = now;
    this.passWhy = "startup";
    this.nextSampleAt = now + this.sampleMs;
    this.pump();
  }

  /** Asks for a pass within `delayMs` (sooner if one is already due sooner). */
  requestPass(why: string, delayMs = 0): void {
    if (this.stopped) return;
    const at = this.opts.clock.now() + Math.max(0, delayMs);
    if (at < this.nextPassAt) {
      this.nextPassAt = at;
      this.passWhy = why;
    }
    this.pump();
  }

  /** New intervals (config reload); the next due times are moved earlier, never later. */
  setIntervals(sampleIntervalMs: number, passIntervalMs: number): void {
    const now = this.opts.clock.now();
    this.sampleMs = sampleIntervalMs;
    this.passMs = passIntervalMs;
    this.nextSampleAt = Math.min(this.nextSampleAt, now + sampleIntervalMs);
    if (this.currentKind !== "pass") this.nextPassAt = Math.min(this.nextPassAt, now + passIntervalMs);
    this.pump();
  }

  get running(): JobKind | null {
    return this.currentKind;
  }

  /** When the next pass is due (epoch ms); Infinity when stopped. */
  get passDueAt(): number {
    return this.nextPassAt;
  }

  /** Takes no new job; resolves when the job in flight (if any) has finished. */
  stop(): Promise<void> {
    this.stopped = true;
    if (this.timer !== null) this.opts.timers.clear(this.timer);
    this.timer = null;
    return this.current ?? Promise.resolve();
  }

  private pump(): void {
    if (this.stopped || this.current) return;
    if (this.timer !== null) this.opts.timers.clear(this.timer);
    this.timer = null;
    const now = this.opts.clock.now();
    if (this.nextPassAt <= now) return this.run("pass", now);
    if (this.nextSampleAt <= now) return this.run("sample", now);
    const due = Math.min(this.nextPassAt, this.nextSampleAt);
    if (Number.isFinite(due)) this.timer = this.opts.timers.set(() => ((this.timer = null), this.pump()), due - now);
  }

  private run(kind: JobKind, now: number): void {
    this.currentKind = kind;
    let job: Promise<unknown>;
    if (kind === "pass") {
      const why = this.passWhy;
      this.nextPassAt = now + this.passMs;
      this.passWhy = "schedule";
      job = this.opts.runPass(why).then((o) => {
        if (o.retryInMs !== null) {
          const at = this.opts.clock.now() + o.retryInMs;
          if (at < this.nextPassAt) {
            this.nextPassAt = at;
            this.passWhy = "retry";
          }
        }
      });
    } else {
      this.nextSampleAt = now + this.sampleMs;
      job = this.opts.runSample();
    }
    this.current = job
      .catch((e: unknown) => this.opts.log.error({ job: kind, error: String(e) }, "job failed"))
      .then(() => undefined)
      .finally(() => {
        this.current = null;
        this.currentKind = null;
        this.pump();
      });
  }
}

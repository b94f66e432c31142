// The two jobs the scheduler runs, one at a time: a GPU sample and a full pass. Each first applies
// a config edit. After a pass: the fleet picture is replaced by its listing (exits missed meanwhile
// are accounted), the status learns what it saw, the users' cgroup parents are looked after, and
// whoever waited for that pass is answered. A pass that fails or cannot see Docker is retried with
// backoff instead of waiting a whole interval.
import { performance } from "node:perf_hooks";
import type { UserCgroupWatch } from "../cgroups/daemon-watch.js";
import { EVENT } from "../constants/event-types.js";
import { errorText } from "../errors.js";
import type { DaemonMetrics } from "../metrics/daemon-metrics.js";
import type { ObservedContainer } from "../model/container.js";
import { runPass, type PassDeps, type PassReport } from "../pass/run-pass.js";
import type { Store } from "../store/index.js";
import { isStoreError } from "../store/store-error.js";
import type { Clock } from "../util/clock.js";
import type { Logger } from "../util/log.js";
import { Backoff } from "./backoff.js";
import type { DaemonStatus } from "./daemon-status.js";
import type { ExitFacts } from "./exit-audit.js";
import type { Fleet } from "./fleet.js";
import type { ConfigListener, RunningConfig } from "./running-config.js";
import type { PassOutcome } from "./scheduler.js";
import type { StoreHealth } from "./store-health.js";

export interface DaemonJobsDeps {
  config: Pick<RunningConfig, "current" | "deps" | "check">;
  status: DaemonStatus;
  fleet: Fleet;
  store: Pick<Store, "all" | "query" | "recordGpuSample">;
  storeHealth: StoreHealth;
  metrics: DaemonMetrics;
  clock: Clock;
  log: Logger;
  /** Audits an exit a pass's listing found (its event was missed). */
  accountMissed(c: ObservedContainer, how: ExitFacts["how"]): void;
  /** Asks the scheduler for a pass as soon as it can. */
  requestPass(why: string): void;
  /** Users' cgroup parents (aggregate limits, usage, OOM kills), looked after once per pass. */
  cgroupWatch?: Pick<UserCgroupWatch, "pass">;
  /** Runs one enforcement pass (default: runPass, not a dry run). */
  runPass?: (deps: PassDeps) => Promise<PassReport>;
}

interface ReportWaiter {
  resolve(r: PassReport): void;
  reject(e: Error): void;
}

export class DaemonJobs implements ConfigListener {
  private readonly backoff = new Backoff();
  private passes = 0;
  private passWaiters: (() => void)[] = [];
  /** Callers waiting for a pass that starts after they asked (the control socket's `pass`). */
  private reportWaiters: ReportWaiter[] = [];
  private readonly runPass: (deps: PassDeps) => Promise<PassReport>;

  constructor(private readonly d: DaemonJobsDeps) {
    this.runPass = d.runPass ?? ((deps) => runPass(deps, { dryRun: false }));
  }

  /** Completed passes since start. */
  get passCount(): number {
    return this.passes;
  }

  /** Asks for a pass as soon as the scheduler can (after the job in flight); resolves with its report. */
  passNow(why: string): Promise<PassReport> {
    const p = new Promise<PassReport>((resolve, reject) => this.reportWaiters.push({ resolve, reject }));
    this.d.requestPass(why);
    return p;
  }

  /** Resolves once `n` passes in total have completed since start. */
  waitForPasses(n: number): Promise<void> {
    if (this.passes >= n) return Promise.resolve();
    return new Promise((resolve) => {
      const check = () => (this.passes >= n ? resolve() : this.passWaiters.push(check));
      this.passWaiters.push(check);
    });
  }

  /** Whoever still waits for a pass is told that none will run. */
  stop(): void {
    for (const w of this.reportWaiters.splice(0)) w.reject(new Error("the daemon stopped before the pass ran"));
  }

  async sample(): Promise<void> {
    await this.d.config.check();
    const { status, store, storeHealth } = this.d;
    const now = this.d.clock.now();
    let sample: Map<string, number | null>;
    try {
      sample = await this.d.config.deps.probe.sample();
      status.gpu.sampled(sample);
    } catch (e) {
      return status.gpu.failed(e, "sample");
    }
    // A failing store is the store's failure, not the GPU probe's.
    storeHealth.attempt("recording GPU samples", () => {
      for (const [uuid, util] of sample) store.recordGpuSample(uuid, now, util);
    });
  }

  async pass(why: string): Promise<PassOutcome> {
    await this.d.config.check();
    const { status, metrics, log } = this.d;
    const t0 = performance.now();
    status.passStarted();
    log.info({ why }, "pass started");
    const waiting = this.reportWaiters.splice(0); // who asked before this pass began
    let report: PassReport;
    try {
      report = await this.runPass(this.d.config.deps);
    } catch (e) {
      for (const w of waiting) w.reject(e instanceof Error ? e : new Error(String(e)));
      const durationS = (performance.now() - t0) / 1000;
      metrics.passFinished(durationS, null);
      status.passEnded();
      if (isStoreError(e)) this.d.storeHealth.failed(e, "pass");
      log.error({ error: errorText(e), duration_ms: Math.round(durationS * 1000) }, "pass failed");
      return { retryInMs: this.backoff.next() };
    } finally {
      status.passEnded();
    }
    const durationS = (performance.now() - t0) / 1000;
    this.passes++;
    status.passCompleted();
    const outcome = this.afterPass(report, durationS);
    if (report.dockerError === null) await this.cgroupPass();
    for (const w of waiting) w.resolve(report);
    for (const w of this.passWaiters.splice(0)) w();
    return outcome;
  }

  /** After a reload: the new aggregate limits now, not at the next pass. */
  async settle(): Promise<void> {
    if (this.d.fleet.lastListedAt !== null) await this.cgroupPass();
  }

  /** Users' cgroup parents: limits, cleanup, usage, OOM kills (after each pass and each reload). */
  async cgroupPass(): Promise<void> {
    const { cgroupWatch, fleet, config } = this.d;
    if (!cgroupWatch) return;
    const owners = fleet.containers().map((c) => c.identity.owner).filter((o) => o !== "unknown");
    this.d.metrics.setUserCgroupUsage(await cgroupWatch.pass(config.current, owners, config.deps.notifier));
  }

  private afterPass(report: PassReport, durationS: number): PassOutcome {
    const { status, metrics, store, log } = this.d;
    const executed = report.results.filter((r) => r.executed).length;
    const failed = report.results.filter((r) => !r.executed && r.error !== null).length;
    if (report.dockerError) {
      metrics.passFinished(durationS, null);
      status.dockerUnavailable(report.dockerError);
      const retryInMs = this.backoff.next();
      log.warn({ error: report.dockerError, retry_in_ms: retryInMs, duration_ms: Math.round(durationS * 1000) }, "pass skipped: docker unavailable");
      return { retryInMs };
    }
    this.backoff.reset();
    status.dockerAnswered();
    const { stopped, gone } = this.d.fleet.replace(report.snapshot.containers, report.now);
    for (const c of stopped) this.d.accountMissed(c, "die");
    for (const c of gone) this.d.accountMissed(c, "destroy");
    status.gpu.observed(report.snapshot.gpus, report.now);
    status.recordsRead(store.all());
    metrics.orphansFound(report.results.filter((r) => r.action.kind === "kill_process").length);
    metrics.resetsFailed(store.query({ since: report.now, type: EVENT.gpuResetFailed }).length);
    const finishedAt = this.d.clock.now();
    this.d.storeHealth.ok(); // the pass committed its records
    metrics.passFinished(durationS, finishedAt);
    status.passSucceeded(finishedAt);
    const mem = process.memoryUsage();
    log.info(
      {
        duration_ms: Math.round(durationS * 1000), containers: report.snapshot.containers.length, actions: report.results.length, executed, failed, gpu_error: report.gpuError,
        exits_missed: stopped.length + gone.length, rss_mb: Math.round(mem.rss / 1048576), heap_used_mb: Math.round(mem.heapUsed / 1048576),
      },
      "pass finished",
    );
    return { retryInMs: null };
  }
}

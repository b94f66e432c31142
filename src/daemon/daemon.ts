// The ds01 daemon: one ordered loop (GPU samples and full passes, never overlapping), the Docker
// event stream for instant exit accounting, config hot reload, and /metrics + /healthz.
// Constructing it does nothing; start() brings the parts up, stop() takes them down in order.
// The caller (src/cli/daemon.ts) holds the pass lock for the daemon's whole life and owns the store.
import type { AuditEvent } from "../model/audit-event.js";
import { performance } from "node:perf_hooks";
import type { Observation } from "../allocation/allocator.js";
import type { ReservationStore } from "../allocation/reservation-store.js";
import { slotTable } from "../allocation/slots.js";
import { EVENT } from "../constants/event-types.js";
import type { LoadedConfig } from "../config/loaded-config.js";
import { errorText } from "../errors.js";
import { NvidiaSmiNotFoundError } from "../gpu/nvidia-smi-probe.js";
import type { GpuInventory } from "../model/gpu.js";
import type { ContainerRecord } from "../model/record.js";
import { DaemonMetrics } from "../metrics/daemon-metrics.js";
import { fleetFigures } from "../metrics/fleet-figures.js";
import { runPass, type PassDeps, type PassReport } from "../pass/run-pass.js";
import { globalPolicies } from "../pass/policy-view.js";
import type { Store } from "../store/index.js";
import type { Clock } from "../util/clock.js";
import type { Logger } from "../util/log.js";
import { Backoff } from "./backoff.js";
import type { IdentityOptions } from "../docker/identity.js";
import type { ObservedContainer } from "../model/container.js";
import { BrokerHost } from "./broker-host.js";
import { StoreHealth } from "./store-health.js";
import { isStoreError } from "../store/store-error.js";
import { ConfigReloader } from "./config-reloader.js";
import { ContainerEventHandler } from "./container-events.js";
import { EventStream } from "./event-stream.js";
import { Fleet } from "./fleet.js";
import { health, type HealthReport } from "./health.js";
import { HttpEndpoint } from "./http-endpoint.js";
import { formatListenAddress, type ListenAddress } from "./listen-address.js";
import { Scheduler, type PassOutcome } from "./scheduler.js";
import { ControlSocket } from "./control-socket.js";
import { reportJson, reportText } from "../pass/report-format.js";
import { realTimers, type Timers } from "./timers.js";
import { missingGpusText } from "../gpu/missing-gpus.js";
import { IntentLog } from "../actions/intents.js";
import { waitForInFlight } from "./shutdown-wait.js";
import type { UserCgroupWatch } from "../cgroups/daemon-watch.js";

/** observe-gpus logs this fixed message when dcgm-exporter cannot be read; the daemon counts it. */

/** How soon after a GPU container exits the follow-up pass (health check of its GPUs) runs. */
export const EXIT_PASS_DELAY_MS = 2_000;

/**
 * How long stop() waits for the job in flight before abandoning it, at least; a stop, remove or
 * kill in flight extends the wait to its own deadline (its grace plus the engine's slack).
 */
export const STOP_WAIT_MS = 5_000;

/** How long start() waits for the event stream before the first pass (so that listing is covered by events). */
export const STREAM_WAIT_MS = 3_000;

export interface DaemonOptions {
  config: LoadedConfig;
  configDir: string;
  store: Store;
  /** Builds the pass dependencies for a config (src/compose/pass-env.ts depsFor in production). */
  makeDeps(config: LoadedConfig, log: Logger): PassDeps;
  /** Overrides config daemon.listen; null = no HTTP endpoint. */
  listen: ListenAddress | null;
  clock: Clock;
  log: Logger;
  version: string;
  timers?: Timers;
  /**
   * Serve allocation requests on this Unix socket, deciding under the reservations' lock. `listAll`
   * (set when the janitor is scoped) lists every container: the broker then decides from it.
   */
  allocation?: { socketPath: string; reservations: ReservationStore; listAll?: ((identity: IdentityOptions) => Promise<ObservedContainer[]>) | null };
  /** The control socket (`ds01 check` asks for a pass there). */
  controlSocketPath?: string;
  /** Users' cgroup parents (aggregate limits, usage, OOM kills), looked after once per pass. */
  cgroupWatch?: Pick<UserCgroupWatch, "pass">;
}

export class Daemon {
  private config: LoadedConfig;
  private deps!: PassDeps;
  private readonly metrics: DaemonMetrics;
  private readonly fleet = new Fleet();
  private readonly timers: Timers;
  private readonly log: Logger;
  private readonly passBackoff = new Backoff();
  private scheduler: Scheduler | null = null;
  private events: EventStream | null = null;
  private http: HttpEndpoint | null = null;
  private reloader: ConfigReloader | null = null;
  private handler: ContainerEventHandler | null = null;
  private bound: ListenAddress | null = null;
  private startedAt = 0;
  private stopping = false;
  private passes = 0;
  private passWaiters: (() => void)[] = [];
  /** Callers waiting for a pass that starts after they asked (the control socket's `pass`). */
  private reportWaiters: { resolve: (r: PassReport) => void; reject: (e: Error) => void }[] = [];
  private control: ControlSocket | null = null;
  /** Intents of the destructive actions this daemon runs; aborted `halt` = shutting down. */
  private readonly intents: IntentLog;
  private readonly halt = new AbortController();

  // What /healthz and the gauges read.
  private inventory: GpuInventory | null = null;
  private utilisation = new Map<string, number | null>();
  private records = new Map<string, ContainerRecord>();
  private dockerError: string | null = null;
  private streamError: string | null = "not connected yet";
  private streamWasUp = false;
  /** Since when the event stream has been up without a break (null: down). */
  private streamUpSince: number | null = null;
  private broker: BrokerHost | null = null;
  /** When an inspect after an event last failed (the fleet may lack a container until a later listing). */
  private viewIncompleteAt: number | null = null;
  private gpuError: string | null = null;
  private gpuMissingLogged = false;
  private missingGpus = 0;
  private lastSuccessAt: number | null = null;
  private passSince: number | null = null;
  private configWarning: string | null = null;
  private readonly storeHealth: StoreHealth;

  constructor(private readonly opts: DaemonOptions) {
    this.config = opts.config;
    this.timers = opts.timers ?? realTimers;
    this.intents = new IntentLog(opts.store);
    this.metrics = new DaemonMetrics({ version: opts.version });
    this.storeHealth = new StoreHealth({ count: () => this.metrics.storeError(), log: opts.log });
    this.log = opts.log;
  }

  /** The address /metrics and /healthz listen on (after start), or null. */
  get address(): ListenAddress | null {
    return this.bound;
  }

  /** Completed passes since start (for --once and tests). */
  get passCount(): number {
    return this.passes;
  }

  async start(): Promise<void> {
    const { clock, store } = this.opts;
    let streamUp: (() => void) | null = null;
    this.startedAt = clock.now();
    this.deps = this.buildDeps(this.config);
    this.metrics.setPassInterval(this.config.daemon.pass_interval_s);
    this.metrics.setDockerUp(false);
    this.metrics.setQueueSource(() => this.deps.gpuQueue?.() ?? Promise.resolve(null));
    this.metrics.setFigureSource((gpuQueueWaiting) =>
      fleetFigures({
        gpuQueueWaiting,
        inventory: this.inventory,
        utilisation: this.utilisation,
        containers: this.fleet.containers(),
        records: this.records,
        now: clock.now(),
        highDemandThreshold: globalPolicies(this.config).high_demand_threshold,
      }),
    );
    this.reloader = new ConfigReloader({ dir: this.opts.configDir });
    await this.reloader.baseline();

    if (this.opts.listen) {
      this.http = new HttpEndpoint(this.opts.listen, { metrics: async () => ({ contentType: this.metrics.contentType, body: await this.metrics.text() }), health: () => this.health() }, this.log);
      this.bound = await this.http.start();
      this.log.info({ address: formatListenAddress(this.bound), metrics: `http://${formatListenAddress(this.bound)}/metrics` }, "listening");
    }

    this.scheduler = new Scheduler({
      clock,
      timers: this.timers,
      sampleIntervalMs: this.config.daemon.sample_interval_s * 1000,
      passIntervalMs: this.config.daemon.pass_interval_s * 1000,
      runSample: () => this.sampleJob(),
      runPass: (why) => this.passJob(why),
      log: this.log,
    });
    this.handler = new ContainerEventHandler({
      fleet: this.fleet,
      runtime: () => this.deps.runtime,
      identity: () => this.deps.identity,
      store,
      clock,
      log: this.log,
      requestPass: (why, delay) => this.scheduler?.requestPass(why, delay),
      exitPassDelayMs: EXIT_PASS_DELAY_MS,
      onInspectFailed: () => {
        this.viewIncompleteAt = clock.now();
        this.scheduler?.requestPass("inspect after a docker event failed", 0);
      },
    });
    this.events = new EventStream({
      runtime: () => this.deps.runtime,
      onEvent: (e) => this.handler?.handle(e),
      onUp: () => {
        const reconnected = this.streamWasUp && this.streamError !== null;
        this.streamWasUp = true;
        this.streamUpSince ??= clock.now();
        streamUp?.();
        this.streamError = null;
        this.updateDockerUp();
        this.log.info({}, "docker event stream connected");
        // Events may have been missed while it was down: re-list soon (level-triggered).
        if (reconnected) this.scheduler?.requestPass("event stream reconnected", 0);
      },
      onDown: (error) => {
        this.streamUpSince = null;
        if (this.streamError === null) this.log.warn({ error }, "docker event stream lost");
        this.streamError = error;
        this.metrics.probeError("docker");
        this.updateDockerUp();
      },
      timers: this.timers,
      log: this.log,
    });

    store.append({ time: clock.now(), type: EVENT.daemonStarted, user: null, container: null, containerId: null, details: { pid: process.pid, version: this.opts.version, config_dir: this.opts.configDir, listen: this.bound ? formatListenAddress(this.bound) : null, sample_interval_s: this.config.daemon.sample_interval_s, pass_interval_s: this.config.daemon.pass_interval_s } });
    this.log.info({ pid: process.pid, version: this.opts.version, config_dir: this.opts.configDir, state: store.path, sample_interval_s: this.config.daemon.sample_interval_s, pass_interval_s: this.config.daemon.pass_interval_s }, "daemon started");
    this.events.start();
    // The first listing should start after the stream is up, so that events cover everything
    // after it (the allocation broker relies on that); a Docker that is down does not hold us up.
    await new Promise<void>((resolve) => {
      const t = this.timers.set(resolve, STREAM_WAIT_MS);
      streamUp = () => {
        this.timers.clear(t);
        resolve();
      };
    });
    streamUp = null;
    this.scheduler.start();
    if (this.opts.allocation) {
      const a = this.opts.allocation;
      this.broker = new BrokerHost({
        ...a,
        clock,
        log: this.log,
        config: () => this.config,
        audit: (events) => this.storeHealth.guard("recording allocation decisions", () => store.commit([], events)),
        daemonView: () => this.allocationView(),
        inventory: () => this.inventory,
        gpuError: () => this.gpuError,
        identity: () => this.deps.identity,
      });
      await this.broker.start();
    }
    if (this.opts.controlSocketPath) {
      this.control = new ControlSocket(this.opts.controlSocketPath, async () => {
        const report = await this.passNow("ds01 check");
        const failedActions = report.results.filter((r) => !r.executed && r.error !== null).length;
        const error = report.dockerError !== null ? `Docker unavailable: ${report.dockerError}` : failedActions > 0 ? `${failedActions} action(s) failed` : null;
        return { text: reportText(report), json: reportJson(report), error };
      });
      await this.control.start();
    }
  }

  /** Runs a pass as soon as the scheduler can (after the one in flight), and resolves with its report. */
  passNow(why: string): Promise<PassReport> {
    if (this.stopping) return Promise.reject(new Error("the daemon is stopping"));
    const p = new Promise<PassReport>((resolve, reject) => this.reportWaiters.push({ resolve, reject }));
    this.scheduler?.requestPass(why, 0);
    return p;
  }

  /** Resolves once `n` passes in total have completed since start (for --once). */
  waitForPasses(n: number): Promise<void> {
    if (this.passes >= n) return Promise.resolve();
    return new Promise((resolve) => {
      const check = () => (this.passes >= n ? resolve() : this.passWaiters.push(check));
      this.passWaiters.push(check);
    });
  }

  /**
   * Stops taking work, finishes the job in flight (its stops, removes and kills up to their
   * deadlines, at least STOP_WAIT_MS; then records them as abandoned), closes HTTP. The caller
   * closes the store and releases the pass lock only after this resolves.
   */
  async stop(reason: string): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    const inFlight = this.scheduler?.running ?? null;
    this.log.info({ reason, job_in_flight: inFlight }, "daemon stopping");
    this.halt.abort(); // the pass in flight starts nothing new and finishes what runs
    const finished = this.scheduler?.stop() ?? Promise.resolve();
    const streamStopped = this.events?.stop() ?? Promise.resolve();
    // Still holding the pass lock and the store: wait for the actions in flight up to their
    // deadlines, or record them as abandoned (the next start reconciles them).
    const { abandoned, waitedMs } = await waitForInFlight(finished, { clock: this.opts.clock, timers: this.timers, minWaitMs: STOP_WAIT_MS, deadlines: () => this.intents.inFlight().map((i) => i.deadlineAt) });
    let abandonedActions = 0;
    if (abandoned) {
      const open = this.intents.inFlight();
      abandonedActions = open.length;
      this.log.warn({ job: inFlight, waited_ms: waitedMs, actions: open.map((i) => ({ kind: i.kind, container: i.action?.container ?? null, pid: i.pid })) }, "abandoning job in flight");
      try {
        this.intents.abandon(open, this.opts.clock.now(), `daemon stopping (${reason}) gave up after ${waitedMs} ms`);
      } catch (e) {
        this.log.error({ error: errorText(e) }, "could not record the abandoned actions");
      }
    }
    await streamStopped;
    await this.broker?.stop();
    await this.control?.stop();
    for (const w of this.reportWaiters.splice(0)) w.reject(new Error("the daemon stopped before the pass ran"));
    await this.http?.stop();
    try {
      this.opts.store.append({ time: this.opts.clock.now(), type: EVENT.daemonStopped, user: null, container: null, containerId: null, details: { pid: process.pid, reason, abandoned_job: abandoned ? inFlight : null, abandoned_actions: abandonedActions } });
    } catch (e) {
      this.log.error({ error: errorText(e) }, "could not record the daemon stop");
    }
    this.log.info({ reason }, "daemon stopped");
  }

  /**
   * The broker's view: the fleet (a full listing plus every Docker event since) and the GPU
   * inventory of the last pass. Complete only while the event stream has been up since before that
   * listing began and every inspect an event asked for succeeded, and while nvidia-smi answers;
   * otherwise callers decide from a listing of their own.
   */
  private allocationView(): Observation | { unavailable: string } {
    const listedAt = this.fleet.lastListedAt;
    if (listedAt === null) return { unavailable: "the daemon has not listed Docker yet" };
    if (this.streamUpSince === null || this.streamUpSince > listedAt) return { unavailable: "Docker events since the daemon's last listing may have been missed" };
    if (this.viewIncompleteAt !== null && this.viewIncompleteAt >= listedAt) return { unavailable: "a container changed since the daemon's last listing could not be inspected" };
    if (this.inventory === null) return { unavailable: "the daemon has no GPU inventory" };
    if (this.gpuError !== null) return { unavailable: `the daemon's GPU probe is failing: ${this.gpuError}` };
    return { slots: slotTable(this.inventory.gpus).slots, containers: this.fleet.containers(), listedAt, currentAt: this.opts.clock.now(), source: "daemon" };
  }

  health(): HealthReport {
    return health({
      now: this.opts.clock.now(),
      startedAt: this.startedAt,
      passIntervalMs: this.config.daemon.pass_interval_s * 1000,
      dockerError: this.dockerError,
      eventStreamError: this.streamError,
      gpuError: this.gpuError,
      storeError: this.storeHealth.error,
      lastSuccessfulPassAt: this.lastSuccessAt,
      passRunningSince: this.passSince,
      configWarning: this.configWarning,
      gpusMissing: this.inventory?.missingGpus ?? 0,
    });
  }

  private buildDeps(config: LoadedConfig): PassDeps {
    const deps = this.opts.makeDeps(config, this.log);
    return { ...deps, intents: this.intents, stopping: this.halt.signal, onResult: (r) => this.metrics.actionResult(r), onDelivery: (channel, ok) => this.metrics.delivery(channel, ok), onDcgmError: () => this.metrics.probeError("dcgm") };
  }

  private updateDockerUp(): void {
    this.metrics.setDockerUp(this.dockerError === null && this.streamError === null && this.passes > 0);
  }

  // ---- jobs (the scheduler runs one at a time) ----

  private async sampleJob(): Promise<void> {
    await this.checkConfig();
    const now = this.opts.clock.now();
    let sample: Map<string, number | null>;
    try {
      sample = await this.deps.probe.sample();
      this.utilisation = sample;
      this.gpuError = null;
    } catch (e) {
      return this.noteGpuFailure(e, "sample");
    }
    // A failing store is the store's failure, not the GPU probe's.
    try {
      this.storeHealth.guard("recording GPU samples", () => {
        for (const [uuid, util] of sample) this.opts.store.recordGpuSample(uuid, now, util);
      });
    } catch {
      // noted by guard
    }
  }

  private async passJob(why: string): Promise<PassOutcome> {
    await this.checkConfig();
    const t0 = performance.now();
    this.passSince = this.opts.clock.now();
    this.log.info({ why }, "pass started");
    const waiting = this.reportWaiters.splice(0); // who asked before this pass began
    let report: PassReport;
    try {
      report = await runPass(this.deps, { dryRun: false });
    } catch (e) {
      for (const w of waiting) w.reject(e instanceof Error ? e : new Error(String(e)));
      const durationS = (performance.now() - t0) / 1000;
      this.metrics.passFinished(durationS, null);
      this.passSince = null;
      if (isStoreError(e)) this.storeHealth.failed(e, "pass");
      this.log.error({ error: errorText(e), duration_ms: Math.round(durationS * 1000) }, "pass failed");
      return { retryInMs: this.passBackoff.next() };
    } finally {
      this.passSince = null;
    }
    const durationS = (performance.now() - t0) / 1000;
    this.passes++;
    const outcome = this.afterPass(report, durationS);
    if (report.dockerError === null) await this.cgroupPass();
    for (const w of waiting) w.resolve(report);
    for (const w of this.passWaiters.splice(0)) w();
    return outcome;
  }

  private afterPass(report: PassReport, durationS: number): PassOutcome {
    const executed = report.results.filter((r) => r.executed).length;
    const failed = report.results.filter((r) => !r.executed && r.error !== null).length;
    if (report.dockerError) {
      this.metrics.probeError("docker");
      this.metrics.passFinished(durationS, null);
      this.dockerError = report.dockerError;
      this.updateDockerUp();
      const retryInMs = this.passBackoff.next();
      this.log.warn({ error: report.dockerError, retry_in_ms: retryInMs, duration_ms: Math.round(durationS * 1000) }, "pass skipped: docker unavailable");
      return { retryInMs };
    }
    this.passBackoff.reset();
    this.dockerError = null;
    const { stopped, gone } = this.fleet.replace(report.snapshot.containers, report.now);
    for (const c of stopped) this.handler?.accountMissed(c, "die");
    for (const c of gone) this.handler?.accountMissed(c, "destroy");

    const inv = report.snapshot.gpus;
    if (inv.error === null) {
      this.inventory = inv;
      this.gpuError = null;
      this.noteMissingGpus(inv.missingGpus ?? 0, report.now);
    } else if (inv.errorKind === "not_found") {
      this.noteGpuMissing(inv.error);
    } else {
      this.metrics.probeError("nvidia_smi");
      this.gpuError = inv.error;
    }
    this.records = new Map(this.opts.store.all().map((r) => [r.containerId, r]));
    this.metrics.orphansFound(report.results.filter((r) => r.action.kind === "kill_process").length);
    this.metrics.resetsFailed(this.opts.store.query({ since: report.now, type: EVENT.gpuResetFailed }).length);
    const finishedAt = this.opts.clock.now();
    this.lastSuccessAt = finishedAt;
    this.storeHealth.ok(); // the pass committed its records
    this.metrics.passFinished(durationS, finishedAt);
    this.updateDockerUp();
    const mem = process.memoryUsage();
    this.log.info(
      {
        duration_ms: Math.round(durationS * 1000), containers: report.snapshot.containers.length, actions: report.results.length, executed, failed, gpu_error: report.gpuError,
        exits_missed: stopped.length + gone.length, rss_mb: Math.round(mem.rss / 1048576), heap_used_mb: Math.round(mem.heapUsed / 1048576),
      },
      "pass finished",
    );
    return { retryInMs: null };
  }

  /** Users' cgroup parents: limits, cleanup, usage, OOM kills (after each pass and each reload). */
  private async cgroupPass(): Promise<void> {
    if (!this.opts.cgroupWatch) return;
    const owners = this.fleet.containers().map((c) => c.identity.owner).filter((o) => o !== "unknown");
    this.metrics.setUserCgroupUsage(await this.opts.cgroupWatch.pass(this.config, owners, this.deps.notifier));
  }

  /** A change in how many attached GPUs nvidia-smi cannot report: audited, and admins alerted. */
  private noteMissingGpus(missing: number, now: number): void {
    this.metrics.gpusMissing(missing);
    if (missing === this.missingGpus) return;
    this.missingGpus = missing;
    const details = { missing_gpus: missing, read_gpus: this.inventory?.gpus.length ?? 0 };
    this.record("recording missing GPUs", { time: now, type: EVENT.gpuAlert, user: null, container: null, containerId: null, details: { reason: "gpus_missing", ...details } });
    if (missing === 0) return;
    this.log.warn(details, "GPUs missing from nvidia-smi");
    void this.deps.notifier?.notify({
      audience: "admin", user: null, containerId: null, containerName: null, severity: "alert",
      title: `${missing} GPU${missing === 1 ? "" : "s"} missing`,
      body: `${missingGpusText(missing)}. Check the host with \`nvidia-smi\` and \`dmesg\` (Xid / "fallen off the bus").`,
      facts: details,
    });
  }

  private noteGpuFailure(e: unknown, during: string): void {
    if (e instanceof NvidiaSmiNotFoundError) return this.noteGpuMissing(errorText(e));
    this.metrics.probeError("nvidia_smi");
    this.gpuError = errorText(e);
    this.log.warn({ during, error: this.gpuError }, "gpu probe failed");
  }

  /**
   * No nvidia-smi on this host: no GPUs to watch. Fine on a CPU-only host; where GPUs are expected
   * (gpu.expected, or auto and a container asks for one) it is a probe error and a /healthz reason.
   */
  private noteGpuMissing(error: string): void {
    this.gpuError = null;
    const expected = this.config.gpu.expected;
    if (expected === true || (expected === "auto" && this.fleet.containers().some((c) => c.identity.hasGpu))) {
      this.metrics.probeError("nvidia_smi");
      this.gpuError = `GPUs are expected here but ${error}`;
    }
    if (this.gpuMissingLogged) return;
    this.gpuMissingLogged = true;
    this.log.warn({ error }, "nvidia-smi not found: GPU signals unknown");
  }

  /** An audit record outside a pass: a store that cannot take it is a store failure (healthz, counter), not the end of what called. */
  private record(during: string, e: AuditEvent): void {
    try {
      this.storeHealth.guard(during, () => this.opts.store.append(e));
    } catch {
      // noted by storeHealth; the daemon goes on with what it was doing
    }
  }

  // ---- config hot reload ----

  private async checkConfig(): Promise<void> {
    if (!this.reloader) return;
    const out = await this.reloader.check();
    const { clock } = this.opts;
    if (out.kind === "unchanged") return;
    if (out.kind === "failed") {
      this.metrics.configReload(false);
      this.configWarning = `config reload failed, running the last good config: ${out.problems[0] ?? "unknown problem"}`;
      this.record("recording a failed config reload", { time: clock.now(), type: EVENT.configReloadFailed, user: null, container: null, containerId: null, details: { dir: this.opts.configDir, problems: out.problems } });
      this.log.error({ dir: this.opts.configDir, problems: out.problems }, "config reload failed");
      return;
    }
    const before = this.config;
    this.config = out.config;
    this.deps = this.buildDeps(out.config);
    this.configWarning = null;
    const d = out.config.daemon;
    this.scheduler?.setIntervals(d.sample_interval_s * 1000, d.pass_interval_s * 1000);
    this.metrics.setPassInterval(d.pass_interval_s);
    this.metrics.configReload(true);
    this.record("recording the config reload", { time: clock.now(), type: EVENT.configReloaded, user: null, container: null, containerId: null, details: { dir: this.opts.configDir, warnings: out.warnings, sample_interval_s: d.sample_interval_s, pass_interval_s: d.pass_interval_s } });
    this.log.info({ dir: this.opts.configDir, warnings: out.warnings.length }, "config reloaded");
    if (this.fleet.lastListedAt !== null) await this.cgroupPass(); // new aggregate limits now, not at the next pass
    if (d.listen !== before.daemon.listen) this.log.warn({ listen: d.listen, listening: this.bound ? formatListenAddress(this.bound) : null }, "daemon.listen changed: takes effect at the next restart");
  }
}

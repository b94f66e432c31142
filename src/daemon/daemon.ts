// The ds01 daemon: one ordered loop (GPU samples and full passes, never overlapping), the Docker
// event stream for instant exit accounting, config hot reload, and /metrics + /healthz. It is the
// composition of its parts: the running config (reloads), the status (/healthz, gauges, the
// broker's view), the jobs the scheduler runs, the watch on Docker's events, HTTP, the allocation
// broker and the control socket. Constructing it does nothing; start() brings the parts up, stop()
// takes them down in order.
// The caller (src/cli/daemon.ts) holds the pass lock for the daemon's whole life and owns the store.
import { IntentLog } from "../actions/intents.js";
import type { LoadedConfig } from "../config/loaded-config.js";
import { EVENT } from "../constants/event-types.js";
import { errorText } from "../errors.js";
import { DaemonMetrics } from "../metrics/daemon-metrics.js";
import type { PassDeps, PassReport } from "../pass/run-pass.js";
import type { Logger } from "../util/log.js";
import { BrokerHost } from "./broker-host.js";
import { ControlSocket } from "./control-socket.js";
import { DaemonJobs } from "./daemon-jobs.js";
import type { DaemonOptions } from "./daemon-options.js";
import { DaemonStatus } from "./daemon-status.js";
import { DockerWatch } from "./docker-watch.js";
import { Fleet } from "./fleet.js";
import type { HealthReport } from "./health.js";
import { HttpEndpoint } from "./http-endpoint.js";
import { formatListenAddress, type ListenAddress } from "./listen-address.js";
import { passAnswer } from "./pass-answer.js";
import { RunningConfig } from "./running-config.js";
import { Scheduler } from "./scheduler.js";
import { abandonInFlight, waitForInFlight } from "./shutdown-wait.js";
import { StoreHealth } from "./store-health.js";
import { realTimers, type Timers } from "./timers.js";

export type { DaemonOptions } from "./daemon-options.js";
export { EXIT_PASS_DELAY_MS } from "./docker-watch.js";

/**
 * How long stop() waits for the job in flight before abandoning it, at least; a stop, remove or
 * kill in flight extends the wait to its own deadline (its grace plus the engine's slack).
 */
export const STOP_WAIT_MS = 5_000;

/** How long start() waits for the event stream before the first pass (so that listing is covered by events). */
export const STREAM_WAIT_MS = 3_000;

export class Daemon {
  private readonly timers: Timers;
  private readonly log: Logger;
  private readonly metrics: DaemonMetrics;
  /** Intents of the destructive actions this daemon runs; aborted `halt` = shutting down. */
  private readonly intents: IntentLog;
  private readonly halt = new AbortController();
  private readonly config: RunningConfig;
  private readonly status: DaemonStatus;
  private readonly jobs: DaemonJobs;
  private readonly scheduler: Scheduler;
  private readonly docker: DockerWatch;
  private readonly http: HttpEndpoint | null;
  private readonly broker: BrokerHost | null;
  private readonly control: ControlSocket | null;
  private bound: ListenAddress | null = null;
  private stopping = false;

  constructor(private readonly opts: DaemonOptions) {
    const { clock, store, log, allocation, controlSocketPath } = opts;
    const timers = (this.timers = opts.timers ?? realTimers);
    this.log = log;
    this.intents = new IntentLog(store);
    const metrics = (this.metrics = new DaemonMetrics({ version: opts.version }));
    const storeHealth = new StoreHealth({ count: () => metrics.storeError(), log });
    const fleet = new Fleet();
    const config = (this.config = new RunningConfig({ config: opts.config, dir: opts.configDir, clock, log, metrics, storeHealth, store, buildDeps: (c) => this.buildDeps(c), listening: () => this.bound }));
    const status = (this.status = new DaemonStatus({ clock, log, metrics, fleet, storeHealth, store, config: () => config.current, notifier: () => config.deps.notifier }));
    metrics.setQueueSource(() => config.deps.gpuQueue?.() ?? Promise.resolve(null));
    const docker = (this.docker = new DockerWatch({ fleet, deps: () => config.deps, status, store, clock, log, timers, requestPass: (why, delay) => this.scheduler.requestPass(why, delay) }));
    const jobs = (this.jobs = new DaemonJobs({ config, status, fleet, store, storeHealth, metrics, clock, log, accountMissed: (c, how) => docker.accountMissed(c, how), requestPass: (why) => this.scheduler.requestPass(why, 0), cgroupWatch: opts.cgroupWatch }));
    const { sample_interval_s, pass_interval_s } = opts.config.daemon;
    this.scheduler = new Scheduler({ clock, timers, sampleIntervalMs: sample_interval_s * 1000, passIntervalMs: pass_interval_s * 1000, runSample: () => jobs.sample(), runPass: (why) => jobs.pass(why), log });
    config.listen(status);
    config.listen({ applied: (c) => this.scheduler.setIntervals(c.daemon.sample_interval_s * 1000, c.daemon.pass_interval_s * 1000) });
    config.listen(jobs);
    this.http = opts.listen ? new HttpEndpoint(opts.listen, { metrics: async () => ({ contentType: metrics.contentType, body: await metrics.text() }), health: () => this.health() }, log) : null;
    this.broker = allocation
      ? new BrokerHost({
          ...allocation, clock, log, config: () => config.current,
          audit: (events) => storeHealth.guard("recording allocation decisions", () => store.commit([], events)),
          daemonView: () => status.allocationView(), inventory: () => status.gpu.inventory, gpuError: () => status.gpu.error, identity: () => config.deps.identity,
        })
      : null;
    this.control = controlSocketPath ? new ControlSocket(controlSocketPath, async () => passAnswer(await this.passNow("ds01 check"))) : null;
  }

  /** The address /metrics and /healthz listen on (after start), or null. */
  get address(): ListenAddress | null {
    return this.bound;
  }

  /** Completed passes since start (for --once and tests). */
  get passCount(): number {
    return this.jobs.passCount;
  }

  async start(): Promise<void> {
    const { store, configDir, version } = this.opts;
    this.status.start();
    await this.config.start();
    if (this.http) {
      this.bound = await this.http.start();
      this.log.info({ address: formatListenAddress(this.bound), metrics: `http://${formatListenAddress(this.bound)}/metrics` }, "listening");
    }
    const { sample_interval_s, pass_interval_s } = this.config.current.daemon;
    store.append({ time: this.opts.clock.now(), type: EVENT.daemonStarted, user: null, container: null, containerId: null, details: { pid: process.pid, version, config_dir: configDir, listen: this.bound ? formatListenAddress(this.bound) : null, sample_interval_s, pass_interval_s } });
    this.log.info({ pid: process.pid, version, config_dir: configDir, state: store.path, sample_interval_s, pass_interval_s }, "daemon started");
    this.docker.start();
    // The first listing should start after the stream is up, so that events cover everything
    // after it (the allocation broker relies on that); a Docker that is down does not hold us up.
    await this.docker.upWithin(STREAM_WAIT_MS);
    this.scheduler.start();
    await this.broker?.start();
    await this.control?.start();
  }

  /** Runs a pass as soon as the scheduler can (after the one in flight), and resolves with its report. */
  passNow(why: string): Promise<PassReport> {
    if (this.stopping) return Promise.reject(new Error("the daemon is stopping"));
    return this.jobs.passNow(why);
  }

  /** Resolves once `n` passes in total have completed since start (for --once). */
  waitForPasses(n: number): Promise<void> {
    return this.jobs.waitForPasses(n);
  }

  /**
   * Stops taking work, finishes the job in flight (its stops, removes and kills up to their
   * deadlines, at least STOP_WAIT_MS; then records them as abandoned), closes HTTP. The caller
   * closes the store and releases the pass lock only after this resolves.
   */
  async stop(reason: string): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    const { clock, store } = this.opts;
    const inFlight = this.scheduler.running;
    this.log.info({ reason, job_in_flight: inFlight }, "daemon stopping");
    this.halt.abort(); // the pass in flight starts nothing new and finishes what runs
    const finished = this.scheduler.stop();
    const streamStopped = this.docker.stop();
    // Still holding the pass lock and the store: wait for the actions in flight up to their
    // deadlines, or record them as abandoned (the next start reconciles them).
    const { abandoned, waitedMs } = await waitForInFlight(finished, { clock, timers: this.timers, minWaitMs: STOP_WAIT_MS, deadlines: () => this.intents.inFlight().map((i) => i.deadlineAt) });
    const abandonedActions = abandoned ? abandonInFlight(this.intents, { log: this.log, clock, reason, job: inFlight, waitedMs }) : 0;
    await streamStopped;
    await this.broker?.stop();
    await this.control?.stop();
    this.jobs.stop();
    await this.http?.stop();
    this.config.stop();
    try {
      store.append({ time: clock.now(), type: EVENT.daemonStopped, user: null, container: null, containerId: null, details: { pid: process.pid, reason, abandoned_job: abandoned ? inFlight : null, abandoned_actions: abandonedActions } });
    } catch (e) {
      this.log.error({ error: errorText(e) }, "could not record the daemon stop");
    }
    this.log.info({ reason }, "daemon stopped");
  }

  health(): HealthReport {
    return this.status.health();
  }

  private buildDeps(config: LoadedConfig): PassDeps {
    const deps = this.opts.makeDeps(config, this.log);
    return { ...deps, intents: this.intents, stopping: this.halt.signal, onResult: (r) => this.metrics.actionResult(r), onDelivery: (channel, ok) => this.metrics.delivery(channel, ok), onDcgmError: () => this.metrics.probeError("dcgm") };
  }
}

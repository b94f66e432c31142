// What the daemon knows about itself and the world between passes: the state /healthz, the gauges
// and the allocation broker's view read. The other parts tell it what happened (the event stream
// went up or down, a pass saw Docker or not, a config edit was refused; the GPUs in `gpu`); it
// keeps the metrics and logs that go with each change.
import type { Observation } from "../allocation/allocator.js";
import { slotTable } from "../allocation/slots.js";
import type { LoadedConfig } from "../config/loaded-config.js";
import type { DaemonMetrics } from "../metrics/daemon-metrics.js";
import { fleetFigures } from "../metrics/fleet-figures.js";
import type { ContainerRecord } from "../model/record.js";
import { globalPolicies } from "../pass/policy-view.js";
import type { Clock } from "../util/clock.js";
import type { Fleet } from "./fleet.js";
import { GpuStatus, type GpuStatusDeps } from "./gpu-status.js";
import { health, type HealthReport } from "./health.js";
import type { ConfigListener } from "./running-config.js";
import type { StoreHealth } from "./store-health.js";

export interface DaemonStatusDeps extends GpuStatusDeps {
  clock: Clock;
  metrics: GpuStatusDeps["metrics"] & Pick<DaemonMetrics, "setDockerUp" | "setFigureSource">;
  fleet: Fleet;
  storeHealth: StoreHealth;
  /** The running config (pass interval, gpu.expected, high-demand threshold follow reloads). */
  config(): LoadedConfig;
}

export class DaemonStatus implements ConfigListener {
  readonly gpu: GpuStatus;
  private startedAt = 0;
  private records = new Map<string, ContainerRecord>();
  private dockerError: string | null = null;
  private streamError: string | null = "not connected yet";
  private streamWasUp = false;
  /** Since when the event stream has been up without a break (null: down). */
  private streamUpSince: number | null = null;
  /** When an inspect after an event last failed (the fleet may lack a container until a later listing). */
  private viewIncompleteAt: number | null = null;
  private passed = false;
  private lastSuccessAt: number | null = null;
  private passSince: number | null = null;
  private configWarning: string | null = null;

  constructor(private readonly d: DaemonStatusDeps) {
    this.gpu = new GpuStatus(d);
  }

  /** Starts the /healthz clock; the gauges read this state at scrape time from now on. */
  start(): void {
    const { d } = this;
    this.startedAt = d.clock.now();
    d.metrics.setDockerUp(false);
    d.metrics.setFigureSource((gpuQueueWaiting) =>
      fleetFigures({
        gpuQueueWaiting,
        inventory: this.gpu.inventory,
        utilisation: this.gpu.utilisation,
        containers: d.fleet.containers(),
        records: this.records,
        now: d.clock.now(),
        highDemandThreshold: globalPolicies(d.config()).high_demand_threshold,
      }),
    );
  }

  /** The event stream is up; true when it came back after being lost (events may have been missed). */
  streamUp(): boolean {
    const reconnected = this.streamWasUp && this.streamError !== null;
    this.streamWasUp = true;
    this.streamUpSince ??= this.d.clock.now();
    this.streamError = null;
    this.updateDockerUp();
    this.d.log.info({}, "docker event stream connected");
    return reconnected;
  }

  streamDown(error: string): void {
    this.streamUpSince = null;
    if (this.streamError === null) this.d.log.warn({ error }, "docker event stream lost");
    this.streamError = error;
    this.d.metrics.probeError("docker");
    this.updateDockerUp();
  }

  inspectFailed(): void {
    this.viewIncompleteAt = this.d.clock.now();
  }

  passStarted(): void {
    this.passSince = this.d.clock.now();
  }

  passEnded(): void {
    this.passSince = null;
  }

  /** A pass ran to its end (whether or not it saw Docker): from now on Docker may count as up. */
  passCompleted(): void {
    this.passed = true;
  }

  dockerUnavailable(error: string): void {
    this.d.metrics.probeError("docker");
    this.dockerError = error;
    this.updateDockerUp();
  }

  dockerAnswered(): void {
    this.dockerError = null;
  }

  recordsRead(records: readonly ContainerRecord[]): void {
    this.records = new Map(records.map((r) => [r.containerId, r]));
  }

  /** A pass that saw Docker finished at `at`. */
  passSucceeded(at: number): void {
    this.lastSuccessAt = at;
    this.updateDockerUp();
  }

  /** A config edit runs now: no warning any more. */
  applied(): void {
    this.configWarning = null;
  }

  /** A config edit was refused: a /healthz warning until a valid one. */
  refused(problems: readonly string[]): void {
    this.configWarning = `config reload failed, running the last good config: ${problems[0] ?? "unknown problem"}`;
  }

  health(): HealthReport {
    return health({
      now: this.d.clock.now(),
      startedAt: this.startedAt,
      passIntervalMs: this.d.config().daemon.pass_interval_s * 1000,
      dockerError: this.dockerError,
      eventStreamError: this.streamError,
      gpuError: this.gpu.error,
      storeError: this.d.storeHealth.error,
      lastSuccessfulPassAt: this.lastSuccessAt,
      passRunningSince: this.passSince,
      configWarning: this.configWarning,
      gpusMissing: this.gpu.inventory?.missingGpus ?? 0,
    });
  }

  /**
   * The broker's view: the fleet (a full listing plus every Docker event since) and the GPU
   * inventory of the last pass. Complete only while the event stream has been up since before that
   * listing began and every inspect an event asked for succeeded, and while nvidia-smi answers;
   * otherwise callers decide from a listing of their own.
   */
  allocationView(): Observation | { unavailable: string } {
    const listedAt = this.d.fleet.lastListedAt;
    if (listedAt === null) return { unavailable: "the daemon has not listed Docker yet" };
    if (this.streamUpSince === null || this.streamUpSince > listedAt) return { unavailable: "Docker events since the daemon's last listing may have been missed" };
    if (this.viewIncompleteAt !== null && this.viewIncompleteAt >= listedAt) return { unavailable: "a container changed since the daemon's last listing could not be inspected" };
    const { inventory, error } = this.gpu;
    if (inventory === null) return { unavailable: "the daemon has no GPU inventory" };
    if (error !== null) return { unavailable: `the daemon's GPU probe is failing: ${error}` };
    return { slots: slotTable(inventory.gpus).slots, containers: this.d.fleet.containers(), listedAt, currentAt: this.d.clock.now(), source: "daemon" };
  }

  private updateDockerUp(): void {
    this.d.metrics.setDockerUp(this.dockerError === null && this.streamError === null && this.passed);
  }
}

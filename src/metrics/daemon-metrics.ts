// The daemon's Prometheus registry (prom-client). One instance per daemon, no global registry.
// Counters are fed by the daemon as things happen; gauges are set from FleetFigures at scrape time.
// Names come from src/constants/metrics.ts; labelled counters start at 0 for every known label
// value so that increase() sees their first step. High-volume GPU series carry no container label.
import { Counter, Gauge, Histogram, Registry } from "./prom-parts.js";
import { METRIC, METRIC_RESULT } from "../constants/metrics.js";
import type { ActionResult } from "../actions/executor.js";
import { DELIVERY_CHANNELS } from "../model/notice.js";
import type { ActionKind, ActionReason } from "../policy/plan-types.js";
import type { FleetFigures } from "./fleet-figures.js";
import { WAIT_BUCKETS_S, type QueueSnapshot } from "../gate/queue-snapshot.js";

export const PROBE_SOURCES = ["docker", "nvidia_smi", "dcgm"] as const;
export type ProbeSource = (typeof PROBE_SOURCES)[number];

/** The kind/reason pairs the planner produces (pre-created at 0). Others still count when they occur. */
export const KNOWN_ACTIONS: readonly (readonly [ActionKind, ActionReason])[] = [
  ...(["warn", "final_warn", "notice", "stop"] as const).flatMap((k) => (["idle", "max_runtime"] as const).map((r) => [k, r] as const)),
  ...(["remove", "release_gpu"] as const).flatMap((k) => (["idle", "max_runtime", "created_timeout", "exited_hold", "gpu_hold"] as const).map((r) => [k, r] as const)),
  ["kill_process", "orphan_process"],
  ["reset_gpu", "gpu_health"],
  ["alert", "gpu_health"],
];

export const PASS_DURATION_BUCKETS = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300];

const RESULTS = [METRIC_RESULT.ok, METRIC_RESULT.failed] as const;
const result = (ok: boolean) => (ok ? METRIC_RESULT.ok : METRIC_RESULT.failed);

export class DaemonMetrics {
  readonly registry = new Registry();
  private figures: (queueWaiting: number) => FleetFigures | null = () => null;
  private queue: () => Promise<QueueSnapshot | null> = async () => null;
  private lastQueue: QueueSnapshot | null = null;

  private readonly info = this.gauge(METRIC.info, "ds01 build information (always 1)", ["version"]);
  private readonly slotsTotal = this.gauge(METRIC.gpuSlotsTotal, "Allocatable GPU slots by kind (full GPU or MIG device)", ["kind"]);
  private readonly eqTotal = this.gauge(METRIC.gpuEquivalentsTotal, "GPU capacity in GPU-equivalents (a full GPU = 1, a MIG device its profile's share)");
  private readonly eqAllocated = this.gauge(METRIC.gpuEquivalentsAllocated, "GPU-equivalents held by live containers (not exited)");
  private readonly slotAllocated = this.gauge(METRIC.gpuSlotAllocated, "GPU-equivalents held on each slot (0 when free)", ["gpu_uuid", "slot_uuid", "profile"]);
  private readonly gpuUtil = this.gauge(METRIC.gpuUtilization, "GPU utilisation from the latest sample (absent when unknown)", ["gpu_uuid", "index"]);
  private readonly userEq = this.gauge(METRIC.userGpuEquivalents, "GPU-equivalents held by each user's live containers", ["user"]);
  private readonly containers = this.gauge(METRIC.containers, "Containers by state, type and owner", ["state", "type", "owner"]);
  private readonly idleSeconds = this.gauge(METRIC.containerIdleSeconds, "How long each running GPU container has been idle (0 when active)", ["container", "owner"]);
  private readonly idleStreak = this.gauge(METRIC.containerIdleStreak, "Consecutive idle observations of each running GPU container", ["container", "owner"]);
  private readonly highDemand = this.gauge(METRIC.highDemand, "1 when allocated/total GPU-equivalents is at or above the high-demand threshold");
  private readonly dockerUp = this.gauge(METRIC.dockerUp, "1 when the Docker engine answered the last pass and the event stream is connected");
  private readonly lastPass = this.gauge(METRIC.lastSuccessfulPass, "When the last pass that could see Docker finished (Unix seconds)");
  private readonly passInterval = this.gauge(METRIC.passInterval, "Configured daemon.pass_interval_s");
  private readonly queueLength = this.gauge(METRIC.gpuQueueLength, "GPU creates waiting in the gate's queue for a free slot");

  private readonly actions = this.counter(METRIC.actionsTotal, "Actions carried out or failed, by kind, reason and result", ["kind", "reason", "result"]);
  private readonly notifications = this.counter(METRIC.notificationsTotal, "Notice deliveries by channel and result", ["channel", "result"]);
  private readonly probeErrors = this.counter(METRIC.probeErrorsTotal, "Failed reads of an outside system, by source", ["source"]);
  private readonly storeErrors = this.counter(METRIC.storeErrorsTotal, "Failed writes to ds01's own store (disk full, I/O error, read-only)");
  private readonly missing = this.gauge(METRIC.gpusMissing, "Attached GPUs missing from nvidia-smi's output at the last pass (fallen off the bus)");
  private readonly orphans = this.counter(METRIC.orphanProcessesTotal, "GPU processes found without a running container");
  private readonly resetFailures = this.counter(METRIC.gpuResetFailuresTotal, "GPU resets that failed");
  private readonly reloads = this.counter(METRIC.configReloadsTotal, "Config reloads by result", ["result"]);
  private readonly userCpu = this.counter(METRIC.userCpuUsage, "CPU time used by each user's containers together (their cgroup parent's counter)", ["user", "group"]);
  private readonly userMemory = this.gauge(METRIC.userMemoryCurrent, "Memory used by each user's containers together (their cgroup parent)", ["user", "group"]);
  private readonly passDuration = new Histogram({ name: METRIC.passDuration, help: "Duration of full enforcement passes", buckets: PASS_DURATION_BUCKETS, registers: [this.registry] });

  constructor(opts: { version: string }) {
    this.info.set({ version: opts.version }, 1);
    for (const [kind, reason] of KNOWN_ACTIONS) for (const r of RESULTS) this.actions.inc({ kind, reason, result: r }, 0);
    for (const channel of DELIVERY_CHANNELS) for (const r of RESULTS) this.notifications.inc({ channel, result: r }, 0);
    for (const source of PROBE_SOURCES) this.probeErrors.inc({ source }, 0);
    for (const r of RESULTS) this.reloads.inc({ result: r }, 0);
    this.registry.registerMetric(queueWaitHistogram(() => this.lastQueue) as never);
    this.orphans.inc(0);
    this.storeErrors.inc(0);
    this.resetFailures.inc(0);
  }

  private gauge(name: string, help: string, labelNames: string[] = []): Gauge {
    return new Gauge({ name, help, labelNames, registers: [this.registry] });
  }

  private counter(name: string, help: string, labelNames: string[] = []): Counter {
    return new Counter({ name, help, labelNames, registers: [this.registry] });
  }

  /** Where the gauges' numbers come from at scrape time (given how many wait in the GPU queue). */
  setFigureSource(fn: (queueWaiting: number) => FleetFigures | null): void {
    this.figures = fn;
  }

  /** The gate's GPU queue (who waits, and how long served requests waited), read at scrape time. */
  setQueueSource(fn: () => Promise<QueueSnapshot | null>): void {
    this.queue = fn;
  }

  /** One executed (or failed) action. Dry runs are not counted. */
  actionResult(r: ActionResult): void {
    this.actions.inc({ kind: r.action.kind, reason: r.action.reason, result: result(r.executed) });
  }

  delivery(channel: string, ok: boolean): void {
    this.notifications.inc({ channel, result: result(ok) });
  }

  probeError(source: ProbeSource): void {
    this.probeErrors.inc({ source });
  }

  storeError(): void {
    this.storeErrors.inc();
  }

  gpusMissing(n: number): void {
    this.missing.set(n);
  }

  orphansFound(n: number): void {
    if (n > 0) this.orphans.inc(n);
  }

  resetsFailed(n: number): void {
    if (n > 0) this.resetFailures.inc(n);
  }

  configReload(ok: boolean): void {
    this.reloads.inc({ result: result(ok) });
  }

  /** A pass finished; `successAt` (epoch ms) when it could see Docker. */
  passFinished(durationS: number, successAt: number | null): void {
    this.passDuration.observe(durationS);
    if (successAt !== null) this.lastPass.set(successAt / 1000);
  }

  setPassInterval(seconds: number): void {
    this.passInterval.set(seconds);
  }

  /** Each user's parent as read at the last pass; a number ds01 could not read is left out (unknown ≠ 0). */
  setUserCgroupUsage(rows: readonly { user: string; group: string; cpuSeconds: number | null; memoryBytes: number | null }[]): void {
    this.userCpu.reset();
    this.userMemory.reset();
    for (const r of rows) {
      const labels = { user: r.user, group: r.group };
      if (r.cpuSeconds !== null) this.userCpu.inc(labels, r.cpuSeconds); // the kernel's counter, as it stands
      if (r.memoryBytes !== null) this.userMemory.set(labels, r.memoryBytes);
    }
  }

  setDockerUp(up: boolean): void {
    this.dockerUp.set(up ? 1 : 0);
  }

  /** The Prometheus text exposition, gauges refreshed from the current figures. */
  async text(): Promise<string> {
    this.lastQueue = await this.queue().catch(() => null);
    const waiting = this.lastQueue?.waiting.length ?? 0;
    this.queueLength.set(waiting);
    this.refresh(this.figures(waiting));
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  private refresh(f: FleetFigures | null): void {
    for (const g of [this.slotsTotal, this.slotAllocated, this.gpuUtil, this.userEq, this.containers, this.idleSeconds, this.idleStreak]) g.reset();
    if (!f) return;
    for (const [user, eq] of f.users) this.userEq.set({ user }, eq);
    for (const c of f.containers) this.containers.set({ state: c.state, type: c.type, owner: c.owner }, c.count);
    for (const i of f.idle) {
      this.idleSeconds.set({ container: i.container, owner: i.owner }, i.idleSeconds);
      this.idleStreak.set({ container: i.container, owner: i.owner }, i.streak);
    }
    for (const u of f.utilisation) this.gpuUtil.set({ gpu_uuid: u.gpuUuid, index: u.index }, u.pct);
    if (f.highDemand !== null) this.highDemand.set(f.highDemand);
    if (!f.gpuKnown) return; // never probed successfully: no slot series (the daemon keeps the last good inventory)
    this.slotsTotal.set({ kind: "full" }, f.slotsByKind.full);
    this.slotsTotal.set({ kind: "mig" }, f.slotsByKind.mig);
    this.eqTotal.set(f.equivalentsTotal);
    this.eqAllocated.set(f.equivalentsAllocated);
    for (const s of f.slots) if (s.held !== null) this.slotAllocated.set({ gpu_uuid: s.gpuUuid, slot_uuid: s.slotUuid, profile: s.profile }, s.held);
  }
}

/**
 * The gate's wait-time histogram, exposed as the gate counted it (the gate has no endpoint of its
 * own; its cumulative counts come with the queue snapshot). Zero until a gate has served a wait.
 */
function queueWaitHistogram(snapshot: () => QueueSnapshot | null) {
  const name = METRIC.gpuQueueWait;
  const help = "How long GPU creates waited in the gate's queue (served, timed out or left)";
  return {
    name,
    help,
    type: "histogram",
    aggregator: "sum",
    reset: () => undefined,
    get: async () => {
      const w = snapshot()?.waits;
      const buckets = WAIT_BUCKETS_S.map((le, i) => ({ metricName: `${name}_bucket`, labels: { le }, value: w?.buckets[i] ?? 0 }));
      return {
        name,
        help,
        type: "histogram",
        aggregator: "sum",
        values: [
          ...buckets,
          { metricName: `${name}_bucket`, labels: { le: "+Inf" }, value: w?.count ?? 0 },
          { metricName: `${name}_sum`, labels: {}, value: w?.sumS ?? 0 },
          { metricName: `${name}_count`, labels: {}, value: w?.count ?? 0 },
        ],
      };
    },
  };
}

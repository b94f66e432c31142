// What the daemon knows of its GPUs between passes: the last good inventory, the latest sample,
// whether the probe fails, and how many attached GPUs nvidia-smi cannot report. A missing
// nvidia-smi is an error only where GPUs are expected; a change in missing GPUs is audited and
// the admins are alerted.
import type { LoadedConfig } from "../config/loaded-config.js";
import { EVENT } from "../constants/event-types.js";
import { errorText } from "../errors.js";
import { missingGpusText } from "../gpu/missing-gpus.js";
import { NvidiaSmiNotFoundError } from "../gpu/nvidia-smi-probe.js";
import type { DaemonMetrics } from "../metrics/daemon-metrics.js";
import type { GpuInventory } from "../model/gpu.js";
import type { EventStore, Notifier } from "../model/ports.js";
import type { Logger } from "../util/log.js";
import type { Fleet } from "./fleet.js";
import type { StoreHealth } from "./store-health.js";

export interface GpuStatusDeps {
  log: Logger;
  metrics: Pick<DaemonMetrics, "probeError" | "gpusMissing">;
  /** Whether a container asks for a GPU (gpu.expected: auto). */
  fleet: Pick<Fleet, "containers">;
  storeHealth: Pick<StoreHealth, "attempt">;
  store: Pick<EventStore, "append">;
  config(): LoadedConfig;
  notifier(): Notifier | null;
}

export class GpuStatus {
  private inv: GpuInventory | null = null;
  private util = new Map<string, number | null>();
  private probeError: string | null = null;
  private notFoundLogged = false;
  private missingGpus = 0;

  constructor(private readonly d: GpuStatusDeps) {}

  /** The last good inventory, or null before one was read. */
  get inventory(): GpuInventory | null {
    return this.inv;
  }

  /** The latest sample's utilisation per GPU UUID. */
  get utilisation(): Map<string, number | null> {
    return this.util;
  }

  /** Why the probe fails now (or why GPUs expected here are not seen); null when fine. */
  get error(): string | null {
    return this.probeError;
  }

  /** The inventory a pass read (after its listing replaced the fleet: gpu.expected looks at it). */
  observed(inv: GpuInventory, now: number): void {
    if (inv.error === null) {
      this.inv = inv;
      this.probeError = null;
      this.noteMissing(inv.missingGpus ?? 0, now);
    } else if (inv.errorKind === "not_found") {
      this.noteNotFound(inv.error);
    } else {
      this.d.metrics.probeError("nvidia_smi");
      this.probeError = inv.error;
    }
  }

  sampled(utilisation: Map<string, number | null>): void {
    this.util = utilisation;
    this.probeError = null;
  }

  failed(e: unknown, during: string): void {
    if (e instanceof NvidiaSmiNotFoundError) return this.noteNotFound(errorText(e));
    this.d.metrics.probeError("nvidia_smi");
    this.probeError = errorText(e);
    this.d.log.warn({ during, error: this.probeError }, "gpu probe failed");
  }

  /** A change in how many attached GPUs nvidia-smi cannot report: audited, and admins alerted. */
  private noteMissing(missing: number, now: number): void {
    this.d.metrics.gpusMissing(missing);
    if (missing === this.missingGpus) return;
    this.missingGpus = missing;
    const details = { missing_gpus: missing, read_gpus: this.inv?.gpus.length ?? 0 };
    const event = { time: now, type: EVENT.gpuAlert, user: null, container: null, containerId: null, details: { reason: "gpus_missing", ...details } };
    this.d.storeHealth.attempt("recording missing GPUs", () => this.d.store.append(event));
    if (missing === 0) return;
    this.d.log.warn(details, "GPUs missing from nvidia-smi");
    void this.d.notifier()?.notify({
      audience: "admin", user: null, containerId: null, containerName: null, severity: "alert",
      title: `${missing} GPU${missing === 1 ? "" : "s"} missing`,
      body: `${missingGpusText(missing)}. Check the host with \`nvidia-smi\` and \`dmesg\` (Xid / "fallen off the bus").`,
      facts: details,
    });
  }

  /**
   * No nvidia-smi on this host: no GPUs to watch. Fine on a CPU-only host; where GPUs are expected
   * (gpu.expected, or auto and a container asks for one) it is a probe error and a /healthz reason.
   */
  private noteNotFound(error: string): void {
    this.probeError = null;
    const expected = this.d.config().gpu.expected;
    if (expected === true || (expected === "auto" && this.d.fleet.containers().some((c) => c.identity.hasGpu))) {
      this.d.metrics.probeError("nvidia_smi");
      this.probeError = `GPUs are expected here but ${error}`;
    }
    if (this.notFoundLogged) return;
    this.notFoundLogged = true;
    this.d.log.warn({ error }, "nvidia-smi not found: GPU signals unknown");
  }
}

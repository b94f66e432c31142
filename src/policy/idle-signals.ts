// Reads a container's activity against its group's thresholds. GPU is the primary signal; CPU and
// network are secondary (AND logic). Unknown readings never count as idle by themselves.
import type { ObservedContainer } from "../model/container.js";
import type { Gpu, GpuInventory, MigDevice } from "../model/gpu.js";
import type { ResolvedPolicies } from "../model/policy.js";
import type { ContainerActivity } from "./plan-types.js";

export type SignalStatus = "idle" | "active" | "unknown";

export interface SignalReading {
  status: SignalStatus;
  value: number | null;
  threshold: number;
  /** Why the value is what it is (which GPU, MIG without processes, probe error...). */
  note: string | null;
}

export interface IdleReading {
  verdict: SignalStatus;
  gpu: SignalReading;
  cpu: SignalReading;
  network: SignalReading;
}

interface GpuIndex {
  gpuByUuid: Map<string, Gpu>;
  migByUuid: Map<string, { gpu: Gpu; mig: MigDevice }>;
}

const indexCache = new WeakMap<GpuInventory, GpuIndex>();

/** UUID → GPU / MIG device lookup, built once per inventory. */
export function gpuIndex(inv: GpuInventory): GpuIndex {
  let idx = indexCache.get(inv);
  if (!idx) {
    idx = { gpuByUuid: new Map(), migByUuid: new Map() };
    for (const gpu of inv.gpus) {
      idx.gpuByUuid.set(gpu.uuid, gpu);
      for (const mig of gpu.migDevices) idx.migByUuid.set(mig.uuid, { gpu, mig });
    }
    indexCache.set(inv, idx);
  }
  return idx;
}

function compare(value: number | null, threshold: number, note: string | null): SignalReading {
  if (value === null) return { status: "unknown", value, threshold, note };
  return { status: value < threshold ? "idle" : "active", value, threshold, note };
}

/** One GPU or MIG device held by the container. */
function readOneGpu(uuid: string, inv: GpuInventory, utilMax: ReadonlyMap<string, number | null>, threshold: number): SignalReading {
  if (inv.error) return compare(null, threshold, `GPU probe failed: ${inv.error}`);
  const idx = gpuIndex(inv);
  const mig = idx.migByUuid.get(uuid);
  if (mig) {
    if (mig.mig.utilizationPct !== null) return compare(mig.mig.utilizationPct, threshold, `MIG ${uuid} (dcgm-exporter)`);
    const busy = mig.gpu.processes.some(
      (p) => p.migUuid === uuid || (p.gpuInstanceId !== null && p.gpuInstanceId === mig.mig.gpuInstanceId && (p.computeInstanceId === null || p.computeInstanceId === mig.mig.computeInstanceId)),
    );
    // A MIG device has no utilisation of its own in nvidia-smi: no compute process means idle;
    // processes without activity data leave it unknown, and the secondary signals decide.
    return busy ? compare(null, threshold, `MIG ${uuid} has compute processes, no per-instance activity`) : { status: "idle", value: 0, threshold, note: `MIG ${uuid} has no compute process` };
  }
  const gpu = idx.gpuByUuid.get(uuid);
  if (!gpu) return compare(null, threshold, `GPU ${uuid} not reported by nvidia-smi`);
  const sampled = utilMax.get(uuid);
  const value = sampled !== undefined && sampled !== null ? Math.max(sampled, gpu.utilizationPct ?? 0) : gpu.utilizationPct;
  return compare(value, threshold, `GPU ${gpu.index}`);
}

/** Combines several GPUs: any active → active; all idle → idle; otherwise unknown. Value = the highest known. */
export function readGpuSignal(c: ObservedContainer, inv: GpuInventory, utilMax: ReadonlyMap<string, number | null>, threshold: number): SignalReading {
  const uuids = c.identity.gpus;
  if (uuids.length === 0) {
    const note = c.identity.hasGpu ? "GPU requested without device ids" : "no GPU";
    return compare(null, threshold, note);
  }
  const readings = uuids.map((u) => readOneGpu(u, inv, utilMax, threshold));
  const known = readings.filter((r) => r.value !== null).map((r) => r.value as number);
  const value = known.length ? Math.max(...known) : null;
  const notes = readings.map((r) => r.note).filter(Boolean).join("; ");
  const status: SignalStatus = readings.some((r) => r.status === "active") ? "active" : readings.every((r) => r.status === "idle") ? "idle" : "unknown";
  return { status, value, threshold, note: notes || null };
}

export function readIdleSignals(
  c: ObservedContainer,
  activity: ContainerActivity | undefined,
  inv: GpuInventory,
  utilMax: ReadonlyMap<string, number | null>,
  p: ResolvedPolicies,
): IdleReading {
  const gpu = readGpuSignal(c, inv, utilMax, p.gpu_idle_threshold);
  const cpu = compare(activity?.cpuPct ?? null, p.cpu_idle_threshold, activity?.cpuPct == null ? "no CPU sample yet" : null);
  const network = compare(activity?.netBytesPerS ?? null, p.network_idle_threshold, activity?.netBytesPerS == null ? "no network sample yet" : null);
  // A GPU that fell off the bus says nothing about the container's work: never idle-stop on CPU and network alone.
  const verdict = holdsUnreadGpu(c, inv) ? "unknown" : decide(gpu.status, cpu.status, network.status);
  return { verdict, gpu, cpu, network };
}

/** Does the container hold a GPU nvidia-smi did not report while some attached GPUs are missing? */
export function holdsUnreadGpu(c: ObservedContainer, inv: GpuInventory): boolean {
  if (!inv.missingGpus) return false;
  const idx = gpuIndex(inv);
  return c.identity.gpus.some((u) => !idx.gpuByUuid.has(u) && !idx.migByUuid.has(u));
}

/**
 * GPU active → active. GPU idle → idle unless a secondary signal is active. GPU unknown → the
 * secondary signals decide, and both must be known to be idle (missing data never stops anything).
 */
export function decide(gpu: SignalStatus, cpu: SignalStatus, net: SignalStatus): SignalStatus {
  if (gpu === "active" || cpu === "active" || net === "active") return "active";
  if (gpu === "idle") return "idle";
  return cpu === "idle" && net === "idle" ? "idle" : "unknown";
}

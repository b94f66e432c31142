// GPUs, MIG devices and GPU processes as the probe reports them. Unknown numbers are null, never 0.
import type { ProcessIdentity } from "./ports.js";

export interface GpuProcess {
  pid: number;
  name: string | null;
  usedMemoryMib: number | null;
  /** The full GPU this process runs on. */
  gpuUuid: string;
  /** The MIG device it runs on, when the GPU is partitioned and the instance ids match one. */
  migUuid: string | null;
  gpuInstanceId: number | null;
  computeInstanceId: number | null;
  /** Filled by PID attribution: the Docker container whose cgroup holds this PID. */
  containerId: string | null;
  /** The PID is not in this host's /proc (nvidia-smi saw it through another PID namespace). */
  notOnHost: boolean;
  /**
   * Filled by PID attribution: the process's start time and names, read when it was attributed;
   * null when unreadable or when its name is not the one nvidia-smi reported (the PID was reused).
   */
  identity?: ProcessIdentity | null;
}

export interface MigDevice {
  uuid: string; // `MIG-<uuid>` or the legacy `MIG-GPU-<uuid>/<gi>/<ci>`
  parentUuid: string;
  /** Index within the parent GPU as `nvidia-smi -L` numbers it ("MIG 1g.10gb Device 0"). */
  deviceIndex: number | null;
  gpuInstanceId: number | null;
  computeInstanceId: number | null;
  profile: string | null; // e.g. "1g.10gb", "1c.3g.71gb"
  /** Share of the parent GPU, e.g. 2/7 for 2g.20gb on a 7-slice GPU; null if the profile is unknown. */
  gpuEquivalent: number | null;
  memoryUsedMib: number | null;
  memoryTotalMib: number | null;
  /** Activity of this instance (dcgm-exporter), null when nothing reports it. */
  utilizationPct: number | null;
}

export interface Gpu {
  index: number;
  uuid: string;
  name: string | null;
  migEnabled: boolean | null;
  /** False for a GPU in MIG mode without MIG devices (nothing can be handed out). */
  usable: boolean;
  utilizationPct: number | null;
  memoryUsedMib: number | null;
  memoryTotalMib: number | null;
  migDevices: MigDevice[];
  processes: GpuProcess[];
}

export interface GpuInventory {
  gpus: Gpu[];
  /** Why the probe could not answer, if it could not (then gpus is empty and must not be read as "no GPUs in use"). */
  error: string | null;
  /** When `error` is set: nvidia-smi is not installed ("not_found") or it failed, hung or printed garbage ("failed"). */
  errorKind?: GpuProbeErrorKind | null;
  /**
   * Attached GPUs nvidia-smi could not report (a GPU fell off the bus): `gpus` holds the others.
   * Nothing is known about the missing ones, so nothing may act on them. 0 or absent normally.
   */
  missingGpus?: number;
}

export type GpuProbeErrorKind = "not_found" | "failed";

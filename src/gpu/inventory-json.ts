// The `ds01 gpu list --json` document (stable contract: snake_case, unknown → null).
import type { Gpu, GpuInventory } from "../model/gpu.js";

export interface GpuListJson {
  gpus: {
    index: number;
    uuid: string;
    name: string | null;
    mig_enabled: boolean | null;
    usable: boolean;
    utilization_pct: number | null;
    memory_used_mib: number | null;
    memory_total_mib: number | null;
    mig_devices: {
      uuid: string;
      gpu_instance_id: number | null;
      compute_instance_id: number | null;
      profile: string | null;
      gpu_equivalent: number | null;
      memory_used_mib: number | null;
      memory_total_mib: number | null;
      utilization_pct: number | null;
    }[];
    processes: {
      pid: number;
      name: string | null;
      used_memory_mib: number | null;
      gpu_instance_id: number | null;
      compute_instance_id: number | null;
      container_id: string | null;
      not_on_host: boolean;
    }[];
  }[];
  /** Only when nvidia-smi could not report every attached GPU (fallen off the bus): how many it missed. */
  missing_gpus?: number;
}

function gpuJson(g: Gpu): GpuListJson["gpus"][number] {
  return {
    index: g.index,
    uuid: g.uuid,
    name: g.name,
    mig_enabled: g.migEnabled,
    usable: g.usable,
    utilization_pct: g.utilizationPct,
    memory_used_mib: g.memoryUsedMib,
    memory_total_mib: g.memoryTotalMib,
    mig_devices: g.migDevices.map((d) => ({
      uuid: d.uuid,
      gpu_instance_id: d.gpuInstanceId,
      compute_instance_id: d.computeInstanceId,
      profile: d.profile,
      gpu_equivalent: d.gpuEquivalent,
      memory_used_mib: d.memoryUsedMib,
      memory_total_mib: d.memoryTotalMib,
      utilization_pct: d.utilizationPct,
    })),
    processes: g.processes.map((p) => ({
      pid: p.pid,
      name: p.name,
      used_memory_mib: p.usedMemoryMib,
      gpu_instance_id: p.gpuInstanceId,
      compute_instance_id: p.computeInstanceId,
      container_id: p.containerId,
      not_on_host: p.notOnHost,
    })),
  };
}

export function gpuListJson(inventory: GpuInventory): GpuListJson {
  return { gpus: inventory.gpus.map(gpuJson), ...(inventory.missingGpus ? { missing_gpus: inventory.missingGpus } : {}) };
}

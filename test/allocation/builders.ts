// Builders for the allocation unit tests (not a test file itself).
import type { ContainerIdentity, ContainerState, ObservedContainer } from "../../src/model/container.js";
import type { Gpu, MigDevice } from "../../src/model/gpu.js";
import type { ResolvedLimits } from "../../src/model/policy.js";
import type { Reservation } from "../../src/allocation/reservation.js";

export const uuidOf = (i: number) => `GPU-0000000${i}-0000-0000-0000-000000000000`;
export const migUuidOf = (i: number, d: number) => `MIG-0000000${i}-000${d}-0000-0000-000000000000`;

export function fullGpu(index: number): Gpu {
  return {
    index,
    uuid: uuidOf(index),
    name: "NVIDIA A100",
    migEnabled: false,
    usable: true,
    utilizationPct: null,
    memoryUsedMib: null,
    memoryTotalMib: null,
    migDevices: [],
    processes: [],
  };
}

export function migGpu(index: number, profiles: readonly (string | null)[]): Gpu {
  const devs: MigDevice[] = profiles.map((p, d) => ({
    uuid: migUuidOf(index, d),
    parentUuid: uuidOf(index),
    deviceIndex: d,
    gpuInstanceId: d,
    computeInstanceId: 0,
    profile: p,
    gpuEquivalent: p === null ? null : Number(/^(\d+)g\./.exec(p)?.[1] ?? NaN) / 7 || null,
    memoryUsedMib: null,
    memoryTotalMib: null,
    utilizationPct: null,
  }));
  return { ...fullGpu(index), migEnabled: true, migDevices: devs };
}

export function container(
  name: string,
  owner: string,
  gpus: readonly string[],
  state: ContainerState = "running",
  extra: Partial<ContainerIdentity> = {},
): ObservedContainer {
  return {
    id: `id-${name}`,
    name,
    image: "img",
    labels: {},
    state,
    createdAt: 0,
    startedAt: null,
    finishedAt: null,
    restartCount: 0,
    pid: null,
    deviceRequestGpuIds: gpus,
    requestsGpu: gpus.length > 0,
    cgroupParent: null,
    nvidiaVisibleDevices: null,
    identity: {
      owner,
      ownerSource: "ds01.user",
      type: "atomic",
      gpus,
      hasGpu: gpus.length > 0,
      infrastructure: false,
      infrastructureReason: null,
      ...extra,
    },
  };
}

export function reservation(slotUuid: string, user: string, containerName: string, extra: Partial<Reservation> = {}): Reservation {
  return {
    slotUuid,
    user,
    container: containerName,
    weight: 1,
    requestId: `req-${containerName}`,
    state: "pending",
    containerId: null,
    createdAt: 0,
    confirmedAt: null,
    expiresAt: 120_000,
    ...extra,
  };
}

export function limits(l: Partial<ResolvedLimits> = {}): ResolvedLimits {
  return {
    max_gpu_equivalents: null,
    max_gpu_slots_per_container: null,
    allow_full_gpu: true,
    max_cpus: null,
    memory: null,
    memory_swap: null,
    shm_size: null,
    pids_limit: null,
    max_containers_per_user: null,
    max_runtime_h: null,
    idle_timeout_h: null,
    gpu_hold_after_stop_h: null,
    container_hold_after_stop_h: null,
    gpu_limit: null,
    priority: null,
    ...l,
  };
}

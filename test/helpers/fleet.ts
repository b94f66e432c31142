// Builders for planner and allocator inputs: containers, GPUs, limits, policies, reservations and
// snapshots, with sensible defaults (one set for every unit test).
import type { ContainerIdentity, ContainerState, ContainerType, ObservedContainer } from "../../src/model/container.js";
import type { Gpu, GpuInventory, GpuProcess, MigDevice } from "../../src/model/gpu.js";
import { containerHoldS, effectiveTimeouts, exemptionFor } from "../../src/config/effective.js";
import type { ActiveExemption, ContainerTypePolicy, ResolvedLimits, ResolvedPolicy } from "../../src/model/policy.js";
import type { Reservation } from "../../src/allocation/reservation.js";
import type { ContainerActivity, PolicyView, Snapshot } from "../../src/policy/plan-types.js";

export const T0 = Date.parse("2026-11-24T12:00:00Z");
export const MIN = 60_000;
export const HOUR = 3_600_000;

let seq = 0;
export function gpuUuid(n: number): string {
  return `GPU-${String(n).padStart(8, "0")}-0000-0000-0000-000000000000`;
}
export function migUuid(gpu: number, n: number): string {
  return `MIG-${String(gpu).padStart(4, "0")}${String(n).padStart(4, "0")}-1111-1111-1111-111111111111`;
}

export interface ContainerSpec {
  id?: string;
  name?: string;
  owner?: string;
  type?: ContainerType;
  state?: ObservedContainer["state"];
  gpus?: string[];
  startedAt?: number | null;
  createdAt?: number;
  finishedAt?: number | null;
  infrastructure?: boolean;
  labels?: Record<string, string>;
  identity?: Partial<ContainerIdentity>;
}

export function container(spec: ContainerSpec = {}): ObservedContainer {
  const n = ++seq;
  const id = spec.id ?? n.toString(16).padStart(64, "c");
  const gpus = spec.gpus ?? [gpuUuid(0)];
  const state = spec.state ?? "running";
  return {
    id,
    name: spec.name ?? `c${n}`,
    image: "img",
    labels: spec.labels ?? {},
    state,
    createdAt: spec.createdAt ?? T0 - 10 * HOUR,
    startedAt: spec.startedAt === undefined ? (state === "created" ? null : T0 - 5 * HOUR) : spec.startedAt,
    finishedAt: spec.finishedAt === undefined ? null : spec.finishedAt,
    restartCount: 0,
    pid: state === "running" ? 1000 + n : null,
    deviceRequestGpuIds: gpus,
    requestsGpu: gpus.length > 0,
    cgroupParent: null,
    nvidiaVisibleDevices: null,
    identity: {
      owner: spec.owner ?? "alice",
      ownerSource: "ds01.user",
      type: spec.type ?? "docker",
      gpus,
      hasGpu: gpus.length > 0,
      infrastructure: spec.infrastructure ?? false,
      infrastructureReason: spec.infrastructure ? "ds01.protected=true" : null,
      ...spec.identity,
    },
  };
}

/** The allocator's view of a container: a name, an owner and the slots it holds (id `id-<name>`). */
export function holder(name: string, owner: string, gpus: readonly string[], state: ContainerState = "running", identity: Partial<ContainerIdentity> = {}): ObservedContainer {
  return { ...container({ id: `id-${name}`, name, owner, gpus: [...gpus], state, createdAt: 0, startedAt: null, type: "atomic", identity }), pid: null };
}

export function gpu(index: number, opts: Partial<Gpu> = {}): Gpu {
  return {
    index,
    uuid: gpuUuid(index),
    name: "NVIDIA H100 80GB HBM3",
    migEnabled: false,
    usable: true,
    utilizationPct: 0,
    memoryUsedMib: 0,
    memoryTotalMib: 81559,
    migDevices: [],
    processes: [],
    ...opts,
  };
}

/** A MIG-enabled GPU with `devices` 1g.10gb instances, or one instance per profile given (null = unknown profile). */
export function migGpu(index: number, devices: number | readonly (string | null)[], opts: Partial<Gpu> = {}): Gpu {
  const profiles = typeof devices === "number" ? Array<string | null>(devices).fill("1g.10gb") : devices;
  const migDevices: MigDevice[] = profiles.map((profile, i) => ({
    uuid: migUuid(index, i),
    parentUuid: gpuUuid(index),
    deviceIndex: i,
    gpuInstanceId: 7 + i,
    computeInstanceId: 0,
    profile,
    gpuEquivalent: profile === null ? null : Number(/^(\d+)g\./.exec(profile)?.[1] ?? NaN) / 7 || null,
    memoryUsedMib: 0,
    memoryTotalMib: 9856,
    utilizationPct: null,
  }));
  return gpu(index, { migEnabled: true, utilizationPct: null, migDevices, ...opts });
}

export function proc(pid: number, gpuU: string, opts: Partial<GpuProcess> = {}): GpuProcess {
  return { pid, name: "python", usedMemoryMib: 1024, gpuUuid: gpuU, migUuid: null, gpuInstanceId: null, computeInstanceId: null, containerId: null, notOnHost: false, ...opts };
}

export function inventory(gpus: Gpu[], error: string | null = null): GpuInventory {
  return { gpus, error };
}

const TYPE_BLOCKS: Record<string, ContainerTypePolicy> = {
  devcontainer: { idle_timeout_h: null, max_runtime_h: 168, sigterm_grace_s: 30 },
  compose: { idle_timeout_h: 0.5, max_runtime_h: 72, sigterm_grace_s: 45 },
  docker: { idle_timeout_h: 0.5, max_runtime_h: 48, sigterm_grace_s: 60 },
  api: { idle_timeout_h: null, max_runtime_h: 24, sigterm_grace_s: 30 },
  unknown: { idle_timeout_h: 0.25, max_runtime_h: 24, sigterm_grace_s: 30 },
};

/** A student-like policy with overrides. */
export function policy(over: { limits?: Partial<ResolvedPolicy["limits"]>; policies?: Partial<ResolvedPolicy["policies"]>; container_types?: Record<string, ContainerTypePolicy>; exemptions?: ActiveExemption[]; user?: string } = {}): ResolvedPolicy {
  return {
    user: over.user ?? "alice",
    group: "student",
    group_source: "members",
    limits: limits({
      max_gpu_equivalents: 2, max_gpu_slots_per_container: 2, max_cpus: 32, memory: "32g", memory_swap: "32g", shm_size: "16g", pids_limit: 4096,
      max_containers_per_user: 3, max_runtime_h: 24, idle_timeout_h: 0.5, gpu_hold_after_stop_h: 0.25, container_hold_after_stop_h: 0.5, gpu_limit: 2,
      ...over.limits,
    }),
    aggregate: null,
    policies: {
      gpu_idle_threshold: 5, cpu_idle_threshold: 2, network_idle_threshold: 1_048_576, idle_detection_window: 3, grace_period_m: 30, keepalive_max_duration_h: 24,
      sigterm_grace_s: 60, high_demand_threshold: 0.8, high_demand_idle_reduction: 0.5, created_container_timeout_m: 30, min_warning_lead_m: 5, idle_applies_to: "gpu", gpu_reset: "auto",
      ...over.policies,
    },
    container_types: { ...TYPE_BLOCKS, ...over.container_types },
    exemptions: over.exemptions ?? [],
  };
}

/** A PolicyView over fixed per-user policies, with the config module's own rules (one resolution everywhere). */
export function policyView(byUser: Record<string, ResolvedPolicy> = {}, fallback: ResolvedPolicy = policy()): PolicyView {
  return {
    forOwner: (owner) => byUser[owner] ?? fallback,
    global: () => fallback.policies,
    effectiveTimeouts,
    exemptionFor,
    containerHoldS,
  };
}

export function snapshot(over: Partial<Snapshot> & { containers: ObservedContainer[] }): Snapshot {
  return {
    now: T0,
    dockerError: null,
    activity: new Map(over.containers.map((c): [string, ContainerActivity] => [c.id, { cpuPct: 0.1, netBytesPerS: 10 }])),
    gpus: inventory([gpu(0), gpu(1), gpu(2), gpu(3)]),
    gpuUtilMax: new Map(),
    keepaliveMtime: new Map(),
    releasedGpus: [],
    ...over,
  };
}

/** Limits with nothing limited, except what `l` sets. */
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

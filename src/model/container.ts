// What ds01 knows about one Docker container, after parsing the Engine API's answer.

export const CONTAINER_STATES = ["created", "running", "paused", "restarting", "removing", "exited", "dead"] as const;
export type ContainerState = (typeof CONTAINER_STATES)[number];

/**
 * A container whose processes may exist now (running, paused, restarting): its PIDs are not
 * orphans, its GPUs may not be reset, it may not be removed.
 */
export function canRunProcesses(state: ContainerState): boolean {
  return state === "running" || state === "paused" || state === "restarting";
}

/**
 * Not stopped yet: created, or able to run. The daemon's exit accounting: such a container has not
 * let go of its GPUs (for allocation, a container holds its GPUs in every state until removed).
 */
export function notStopped(state: ContainerState): boolean {
  return state !== "exited" && state !== "dead" && state !== "removing";
}

/**
 * Container types. `devcontainer`, `compose`, `docker`, `api`, `unknown` have blocks under
 * `container_types` in resource-limits.yaml; `atomic` and `orchestration` are ds01-managed
 * containers that follow the user's own limits; `infrastructure` is the monitoring stack.
 */
export const CONTAINER_TYPES = ["devcontainer", "compose", "docker", "api", "atomic", "orchestration", "infrastructure", "unknown"] as const;
export type ContainerType = (typeof CONTAINER_TYPES)[number];

export interface ContainerInfo {
  id: string;
  name: string; // without the leading "/"
  image: string;
  labels: Readonly<Record<string, string>>;
  state: ContainerState;
  /** Epoch milliseconds; null when Docker reports its zero time or nothing parseable. */
  createdAt: number;
  startedAt: number | null;
  finishedAt: number | null;
  restartCount: number;
  /** Init PID on the host while running, else null. */
  pid: number | null;
  /** GPU and MIG UUIDs from HostConfig.DeviceRequests (every request, every id). */
  deviceRequestGpuIds: readonly string[];
  /** True when any DeviceRequest asks for GPUs (driver nvidia or capability gpu), ids or a count. */
  requestsGpu: boolean;
  cgroupParent: string | null;
  /** NVIDIA_VISIBLE_DEVICES from the container's environment (the `--runtime=nvidia` route). */
  nvidiaVisibleDevices: string | null;
}

export type OwnerSource = "gate" | "ds01.user" | "aime.mlc.USER" | "devcontainer.local_folder" | "name" | "unknown";

/** Who a container belongs to and what it is: the one identity used by every code path. */
export interface ContainerIdentity {
  owner: string; // "unknown" when nothing says
  ownerSource: OwnerSource;
  type: ContainerType;
  /** GPU / MIG UUIDs the container holds (labels and DeviceRequests, all of them). */
  gpus: readonly string[];
  /** Holds a GPU in any form (ids, a count request, or nvidia runtime env). */
  hasGpu: boolean;
  infrastructure: boolean;
  infrastructureReason: string | null;
}

export interface ObservedContainer extends ContainerInfo {
  identity: ContainerIdentity;
}

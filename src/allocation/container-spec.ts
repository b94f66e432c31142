// The Engine API body for `ds01 create` (pure): the user's limits, the GPU DeviceRequest, the labels.
import { LABEL, OWNER_NAME_SEPARATOR } from "../constants/labels.js";
import { InvalidInputError } from "../errors.js";
import type { JsonObject } from "../docker/json-fields.js";
import type { ResolvedLimits } from "../model/policy.js";
import type { Slot } from "./slots.js";
import { applyLimits, parseDockerSize } from "./container-limits.js";

export { parseDockerSize };

export interface ContainerSpecInput {
  /** CPUs of this host: a larger max_cpus is capped to it (Docker refuses more). Default: no cap. */
  hostCpus?: number;
  /** The owner's aggregate cpu_quota in cores (their containers' shared parent), a ceiling for one container. */
  aggregateCpus?: number | null;
  user: string;
  /** The name as given; the container is called `<name>._.<user>`. */
  name: string;
  image: string;
  cmd: readonly string[];
  limits: Pick<ResolvedLimits, "max_cpus" | "memory" | "memory_swap" | "shm_size" | "pids_limit">;
  slots: readonly Slot[];
  /** When the slots were reserved and when the container is created (epoch ms). */
  allocatedAt: number;
  createdAt: number;
  /** Extra labels (tests add ds01.test.run); may not set keys ds01 writes. */
  extraLabels?: Readonly<Record<string, string>>;
}

export interface ContainerSpec {
  name: string;
  body: {
    Image: string;
    Cmd?: string[];
    Labels: Record<string, string>;
    HostConfig: {
      NanoCpus?: number;
      Memory?: number;
      MemorySwap?: number;
      ShmSize?: number;
      PidsLimit?: number;
      CgroupParent?: string;
      DeviceRequests?: { Driver: string; Count: number; DeviceIDs: string[]; Capabilities: string[][] }[];
    };
  };
}

export function containerName(name: string, user: string): string {
  return `${name}${OWNER_NAME_SEPARATOR}${user}`;
}

/** Labels a caller may not set: ownership, type and GPU bookkeeping are ds01's. */
export function forbiddenLabel(key: string): boolean {
  return key.startsWith("ds01.") && key !== LABEL.testRun;
}

export function buildContainerSpec(input: ContainerSpecInput): ContainerSpec {
  const { limits } = input;
  const bad = Object.keys(input.extraLabels ?? {}).filter(forbiddenLabel);
  if (bad.length > 0) throw new InvalidInputError(`labels ${bad.join(", ")} are set by ds01 and cannot be given`);
  const uuids = input.slots.map((s) => s.uuid);
  const labels: Record<string, string> = {
    ...input.extraLabels,
    [LABEL.user]: input.user,
    [LABEL.managed]: "true",
    [LABEL.containerType]: "atomic",
    [LABEL.interface]: "atomic",
    [LABEL.createdAt]: new Date(input.createdAt).toISOString(),
  };
  if (uuids.length > 0) {
    labels[uuids.length === 1 ? LABEL.gpuUuid : LABEL.gpuUuids] = uuids.join(",");
    labels[LABEL.gpuAllocated] = input.slots.map((s) => s.id).join(",");
    labels[LABEL.gpuAllocatedAt] = new Date(input.allocatedAt).toISOString();
  }
  const hc: ContainerSpec["body"]["HostConfig"] = {};
  const applied = applyLimits(hc as JsonObject, limits, input.hostCpus ?? Number.POSITIVE_INFINITY, input.aggregateCpus ?? null);
  if (!applied.ok) throw new InvalidInputError(applied.reason);
  if (uuids.length > 0) hc.DeviceRequests = [{ Driver: "nvidia", Count: 0, DeviceIDs: uuids, Capabilities: [["gpu"]] }];
  const body: ContainerSpec["body"] = { Image: input.image, Labels: labels, HostConfig: hc };
  if (input.cmd.length > 0) body.Cmd = [...input.cmd];
  return { name: containerName(input.name, input.user), body };
}

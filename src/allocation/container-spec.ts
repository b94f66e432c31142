// The Engine API body for `ds01 create` (pure): the user's limits, the GPU DeviceRequest, the labels.
import { LABEL, OWNER_NAME_SEPARATOR } from "../constants/labels.js";
import { InvalidInputError } from "../errors.js";
import type { ResolvedLimits } from "../model/policy.js";
import type { Slot } from "./slots.js";

/** Docker's size strings (RAMInBytes): "32g", "512m", "1.5G", "96GiB", "1024"; binary units. */
export function parseDockerSize(text: string): number | null {
  const m = /^(\d+(?:\.\d+)?)\s*([kmgtp])?(?:i?b)?$/i.exec(text.trim());
  if (!m) return null;
  const unit = (m[2] ?? "").toLowerCase();
  const power = unit === "" ? 0 : "kmgtp".indexOf(unit) + 1;
  return Math.floor(Number(m[1]) * 1024 ** power);
}

function sizeOrThrow(key: string, v: string | null): number | null {
  if (v === null) return null;
  const n = parseDockerSize(v);
  if (n === null) throw new InvalidInputError(`limit ${key}: "${v}" is not a Docker size like 32g`);
  return n;
}

export interface ContainerSpecInput {
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
      DeviceRequests?: { Driver: string; Count: number; DeviceIDs: string[]; Capabilities: string[][] }[];
    };
  };
}

export function containerName(name: string, user: string): string {
  return `${name}${OWNER_NAME_SEPARATOR}${user}`;
}

/** Labels a caller may not set: ownership, type and GPU bookkeeping are ds01's (§9.2 #14). */
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
  const memory = sizeOrThrow("memory", limits.memory);
  const swap = sizeOrThrow("memory_swap", limits.memory_swap);
  const hc: ContainerSpec["body"]["HostConfig"] = {};
  if (limits.max_cpus !== null && limits.max_cpus > 0) hc.NanoCpus = Math.round(limits.max_cpus * 1e9);
  if (memory !== null && memory > 0) {
    hc.Memory = memory;
    // Docker refuses a swap limit below the memory limit, or one without a memory limit.
    if (swap !== null) hc.MemorySwap = Math.max(swap, memory);
  }
  const shm = sizeOrThrow("shm_size", limits.shm_size);
  if (shm !== null && shm > 0) hc.ShmSize = shm;
  if (limits.pids_limit !== null && limits.pids_limit > 0) hc.PidsLimit = limits.pids_limit;
  if (uuids.length > 0) hc.DeviceRequests = [{ Driver: "nvidia", Count: 0, DeviceIDs: uuids, Capabilities: [["gpu"]] }];
  const body: ContainerSpec["body"] = { Image: input.image, Labels: labels, HostConfig: hc };
  if (input.cmd.length > 0) body.Cmd = [...input.cmd];
  return { name: containerName(input.name, input.user), body };
}

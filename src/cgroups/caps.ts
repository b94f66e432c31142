// A user's aggregate block as numbers, and the exact values each layout is given (pure).
import { parseDockerSize } from "../allocation/container-limits.js";
import { InvalidInputError } from "../errors.js";
import type { ResolvedAggregate } from "../model/policy.js";
import type { UserParent } from "./names.js";

export interface AggregateCaps {
  /** CPU cores over all the user's containers (4 = "400%"). */
  cpuCores: number | null;
  memoryMax: number | null;
  /** Throttling point (v2 memory.high, systemd MemoryHigh; v1: the soft limit). */
  memoryHigh: number | null;
  tasksMax: number | null;
}

/** The caps of an aggregate block, or null when it caps nothing (then no parent is set at all). */
export function aggregateCaps(a: ResolvedAggregate | null): AggregateCaps | null {
  if (!a) return null;
  const caps: AggregateCaps = {
    cpuCores: cores(a.cpu_quota),
    memoryMax: bytes("memory_max", a.memory_max),
    memoryHigh: bytes("memory_high", a.memory_high),
    tasksMax: a.tasks_max !== null && a.tasks_max > 0 ? a.tasks_max : null,
  };
  return caps.cpuCores === null && caps.memoryMax === null && caps.tasksMax === null ? null : caps;
}

/** "400%" → 4 cores; "2.5" → 2.5 cores; 0 or none → no cap. */
function cores(q: string | null): number | null {
  if (q === null) return null;
  const n = q.endsWith("%") ? Number(q.slice(0, -1)) / 100 : Number(q);
  if (!Number.isFinite(n)) throw new InvalidInputError(`aggregate cpu_quota "${q}" is not a percentage like 400%`);
  return n > 0 ? n : null;
}

function bytes(key: string, text: string | null): number | null {
  if (text === null) return null;
  const n = parseDockerSize(text);
  if (n === null) throw new InvalidInputError(`aggregate ${key} "${text}" is not a size like 96G`);
  return n > 0 ? n : null;
}

/** The CFS period ds01 writes (the kernel's default); quotas are cores × this. */
export const CFS_PERIOD_US = 100_000;
/** The kernel refuses a CFS quota under 1 ms. */
const MIN_QUOTA_US = 1_000;

function quotaUs(cpuCores: number): number {
  return Math.max(MIN_QUOTA_US, Math.round(cpuCores * CFS_PERIOD_US));
}

/** One write: `file` in the parent's directory of hierarchy `controller` (v1) or of the one tree (v2: null). */
export interface LimitWrite {
  controller: "memory" | "cpu" | "pids" | null;
  file: string;
  value: string;
}

/**
 * cgroup v1. `caps` null lifts every limit (the aggregate was removed from the config). Swap
 * (memory.memsw.*) is left alone on purpose: memory_max caps RAM as systemd's MemoryMax does, and
 * each container's own memory_swap still bounds its swap. The period is written before the quota.
 */
export function v1Writes(caps: AggregateCaps | null): LimitWrite[] {
  return [
    { controller: "memory", file: "memory.limit_in_bytes", value: String(caps?.memoryMax ?? -1) },
    { controller: "memory", file: "memory.soft_limit_in_bytes", value: String(caps?.memoryHigh ?? -1) },
    { controller: "cpu", file: "cpu.cfs_period_us", value: String(CFS_PERIOD_US) },
    { controller: "cpu", file: "cpu.cfs_quota_us", value: String(caps?.cpuCores ? quotaUs(caps.cpuCores) : -1) },
    { controller: "pids", file: "pids.max", value: caps?.tasksMax ? String(caps.tasksMax) : "max" },
  ];
}

/** The controllers a v2 parent needs enabled (in cgroup.subtree_control of every directory above it). */
export const V2_CONTROLLERS = ["cpu", "memory", "pids"] as const;

export function v2Writes(caps: AggregateCaps | null): LimitWrite[] {
  return [
    { controller: null, file: "memory.max", value: caps?.memoryMax ? String(caps.memoryMax) : "max" },
    { controller: null, file: "memory.high", value: caps?.memoryHigh ? String(caps.memoryHigh) : "max" },
    { controller: null, file: "cpu.max", value: `${caps?.cpuCores ? quotaUs(caps.cpuCores) : "max"} ${CFS_PERIOD_US}` },
    { controller: null, file: "pids.max", value: caps?.tasksMax ? String(caps.tasksMax) : "max" },
  ];
}

/** First line of every slice unit ds01 writes; cleanup removes only files that start with it. */
export const UNIT_HEADER = "# Written by ds01: one user's aggregate limits. Rewritten when the config changes; removed when empty.";

/** The slice unit (systemd driver). Names in it are the sanitised ones: nothing a login holds reaches the file. */
export function sliceUnit(parent: UserParent, caps: AggregateCaps | null): string {
  const unit = parent.unit ?? "";
  return [
    UNIT_HEADER,
    "[Unit]",
    `Description=ds01 aggregate limits (${unit.replace(/\.slice$/, "")})`,
    "",
    "[Slice]",
    `CPUQuota=${caps?.cpuCores ? `${Math.round(caps.cpuCores * 100)}%` : ""}`,
    `MemoryMax=${caps?.memoryMax ?? "infinity"}`,
    `MemoryHigh=${caps?.memoryHigh ?? "infinity"}`,
    `TasksMax=${caps?.tasksMax ?? "infinity"}`,
    "",
  ].join("\n");
}

// A user's resolved limits on a container's HostConfig — the one implementation used by the gate
// (any client's create) and by `ds01 create`: absent values are filled in from the limits, values
// above a limit are refused with the limit named. CPU limits are capped at what the host has
// (Docker refuses more), and the cap is said.
import type { ResolvedLimits } from "../model/policy.js";
import { field, setField, type JsonObject } from "../docker/json-fields.js";
import { InvalidInputError } from "../errors.js";

export type LimitsOutcome = { ok: true; notes: string[] } | { ok: false; reason: string };

/** Docker's size strings (RAMInBytes): "32g", "512m", "1.5G", "96GiB", "1024"; binary units. */
export function parseDockerSize(text: string): number | null {
  const m = /^(\d+(?:\.\d+)?)\s*([kmgtp])?(?:i?b)?$/i.exec(text.trim());
  if (!m) return null;
  const unit = (m[2] ?? "").toLowerCase();
  const power = unit === "" ? 0 : "kmgtp".indexOf(unit) + 1;
  return Math.floor(Number(m[1]) * 1024 ** power);
}

const GIB = 1024 ** 3;
const MIB = 1024 ** 2;
function showSize(n: number): string {
  return n >= GIB && n % (GIB / 8) === 0 ? `${n / GIB}g` : n >= MIB ? `${Math.round(n / MIB)}m` : `${n} bytes`;
}

function num(hc: JsonObject, key: string): number | null | "bad" {
  const v = field(hc, key);
  if (v === undefined || v === null) return null;
  return typeof v === "number" && Number.isFinite(v) ? v : "bad";
}

function size(key: string, text: string | null): number | null {
  if (text === null) return null;
  const n = parseDockerSize(text);
  if (n === null) throw new InvalidInputError(`limit ${key}: "${text}" is not a Docker size like 32g`);
  return n > 0 ? n : null;
}

export type ContainerLimits = Pick<ResolvedLimits, "max_cpus" | "memory" | "memory_swap" | "shm_size" | "pids_limit">;

/**
 * `aggregateCpus`: the owner's aggregate cpu_quota in cores, when their containers share a capped
 * parent. One container may not ask for more than the whole parent (cgroup v1 refuses a child's CPU
 * quota above its parent's), so it is one more ceiling, named in the refusal when it is the tighter.
 */
export function applyLimits(hc: JsonObject, limits: ContainerLimits, hostCpus: number, aggregateCpus: number | null = null): LimitsOutcome {
  const notes: string[] = [];
  const own = limits.max_cpus !== null && limits.max_cpus > 0 ? limits.max_cpus : null;
  const byAggregate = aggregateCpus !== null && aggregateCpus > 0 && (own === null || aggregateCpus < own);
  const ceiling = byAggregate ? aggregateCpus : own;
  const cpuKey = byAggregate ? "aggregate cpu_quota" : "max_cpus";
  const cpuCap = ceiling !== null ? Math.min(ceiling, hostCpus) : null;
  if (cpuCap !== null && ceiling !== null && cpuCap < ceiling) notes.push(`${cpuKey} ${ceiling} capped at the host's ${hostCpus} CPUs`);
  const nano = num(hc, "NanoCpus");
  const quota = num(hc, "CpuQuota");
  const period = num(hc, "CpuPeriod");
  if (nano === "bad" || quota === "bad" || period === "bad") return { ok: false, reason: "NanoCpus, CpuQuota and CpuPeriod must be numbers" };
  if (cpuCap !== null) {
    const asked = nano !== null && nano > 0 ? nano / 1e9 : quota !== null && quota > 0 ? quota / (period && period > 0 ? period : 100_000) : null;
    if (asked === null) setField(hc, "NanoCpus", Math.round(cpuCap * 1e9));
    else if (asked > cpuCap + 1e-9) return { ok: false, reason: `--cpus ${asked} is above your limit of ${cpuCap} (${cpuKey}); ask for ${cpuCap} or fewer` };
  }

  const memLimit = size("memory", limits.memory);
  const mem = num(hc, "Memory");
  if (mem === "bad") return { ok: false, reason: "Memory must be a number of bytes" };
  let effectiveMem = mem !== null && mem > 0 ? mem : null;
  if (memLimit !== null) {
    if (effectiveMem === null) setField(hc, "Memory", (effectiveMem = memLimit));
    else if (effectiveMem > memLimit) return { ok: false, reason: `--memory ${showSize(effectiveMem)} is above your limit of ${showSize(memLimit)} (memory)` };
  }
  const swapLimit = size("memory_swap", limits.memory_swap);
  const swap = num(hc, "MemorySwap");
  if (swap === "bad") return { ok: false, reason: "MemorySwap must be a number of bytes" };
  if (swapLimit !== null && effectiveMem !== null) {
    const cap = Math.max(swapLimit, effectiveMem); // Docker refuses a swap limit below the memory limit
    if (swap === null || swap === 0) setField(hc, "MemorySwap", cap);
    else if (swap < 0 || swap > cap) return { ok: false, reason: `--memory-swap ${swap < 0 ? "unlimited" : showSize(swap)} is above your limit of ${showSize(cap)} (memory_swap)` };
  }
  const shmLimit = size("shm_size", limits.shm_size);
  const shm = num(hc, "ShmSize");
  if (shm === "bad") return { ok: false, reason: "ShmSize must be a number of bytes" };
  if (shmLimit !== null) {
    if (shm === null || shm === 0) setField(hc, "ShmSize", shmLimit);
    else if (shm > shmLimit) return { ok: false, reason: `--shm-size ${showSize(shm)} is above your limit of ${showSize(shmLimit)} (shm_size)` };
  }
  const pids = num(hc, "PidsLimit");
  if (pids === "bad") return { ok: false, reason: "PidsLimit must be a number" };
  if (limits.pids_limit !== null && limits.pids_limit > 0) {
    if (pids === null || pids <= 0) setField(hc, "PidsLimit", limits.pids_limit);
    else if (pids > limits.pids_limit) return { ok: false, reason: `--pids-limit ${pids} is above your limit of ${limits.pids_limit} (pids_limit)` };
  }
  return { ok: true, notes };
}

// CPU and network activity of containers, each the average over the interval since the previous
// sample (not a one-second point sample). The previous cumulative counters live in the container's
// record (ContainerRecord.lastCpu / lastNet): this module returns the new samples and the caller
// persists them, so a restart of ds01 keeps its baseline.
//
// Sources, in order: the container's cgroup (v1 cpuacct.usage / v2 cpu.stat) and its network
// namespace (/proc/<pid>/net/dev, every interface but lo); when those can't be read (no PID, a
// recycled PID, /proc or /sys/fs/cgroup not visible), the Engine stats API.
// Unknown is null, never 0: the first sample, a counter reset or a restart give null for that interval.
import type { ContainerInfo } from "../model/container.js";
import type { ContainerRuntime } from "../model/ports.js";
import type { CounterSample } from "../model/record.js";
import { mapLimit } from "../docker/map-limit.js";
import { readCgroupCpuNs, readContainerCgroups } from "./cgroup-cpu.js";
import { DEFAULT_HOST_PATHS, type HostPaths } from "./host-paths.js";
import { asyncHostReads, type HostReads } from "./host-reads.js";
import { readNetBytes } from "./net-dev.js";
import { cpuPercent, perSecond } from "./rate.js";

export type ActivityContainer = Pick<ContainerInfo, "id" | "pid" | "state" | "startedAt" | "cgroupParent">;

export interface PreviousSamples {
  lastCpu: CounterSample | null;
  lastNet: CounterSample | null;
}

export interface ActivityReading {
  /** Percent of one core over the interval; null = unknown. */
  cpuPct: number | null;
  /** Received + sent bytes per second over the interval; null = unknown. */
  netBytesPerS: number | null;
  /** Samples to persist (the previous one is kept when the counter could not be read now). */
  lastCpu: CounterSample | null;
  lastNet: CounterSample | null;
  /** Where the counters came from this time. */
  cpuSource: "cgroup" | "engine" | null;
  netSource: "netns" | "engine" | null;
}

export interface ActivityDeps {
  paths?: HostPaths;
  /** Engine stats fallback; without it, unreadable counters are simply unknown. */
  runtime?: Pick<ContainerRuntime, "stats">;
  now: () => number;
  /** How the host's files are read (host-reads.ts); asynchronously unless said. */
  reads?: HostReads;
}

export interface Counters {
  cpuNs: number | null;
  netBytes: number | null;
  at: number;
  cpuSource: ActivityReading["cpuSource"];
  netSource: ActivityReading["netSource"];
}

/** Current cumulative counters of a running container (cgroup/netns first, Engine stats second). */
export async function readCounters(c: ActivityContainer, deps: ActivityDeps): Promise<Counters> {
  const paths = deps.paths ?? DEFAULT_HOST_PATHS;
  const reads = deps.reads ?? asyncHostReads;
  const entries = c.pid !== null ? await readContainerCgroups(paths, c.pid, c.id, reads) : null;
  const at = deps.now();
  let cpuNs = await readCgroupCpuNs(paths, entries, c, reads);
  let netBytes = entries !== null && c.pid !== null ? await readNetBytes(paths, c.pid, reads) : null;
  let cpuSource: Counters["cpuSource"] = cpuNs !== null ? "cgroup" : null;
  let netSource: Counters["netSource"] = netBytes !== null ? "netns" : null;
  let statsAt = at;
  if ((cpuNs === null || netBytes === null) && deps.runtime) {
    const s = await deps.runtime.stats(c.id).catch(() => null);
    if (s) {
      statsAt = s.at;
      if (cpuNs === null) {
        cpuNs = s.cpuTotalNs;
        cpuSource = "engine";
      }
      if (netBytes === null && s.netRxBytes !== null && s.netTxBytes !== null) {
        netBytes = s.netRxBytes + s.netTxBytes;
        netSource = "engine";
      }
    }
  }
  // Engine stats carry their own read time; cgroup/netns reads are timed by our clock.
  return { cpuNs, netBytes, at: cpuSource === "engine" && netSource !== "netns" ? statsAt : at, cpuSource, netSource };
}

/** One container's activity over the interval since `prev`. Containers that are not running: unknown. */
export async function sampleActivity(c: ActivityContainer, prev: PreviousSamples, deps: ActivityDeps): Promise<ActivityReading> {
  if (c.state !== "running") {
    return { cpuPct: null, netBytesPerS: null, lastCpu: prev.lastCpu, lastNet: prev.lastNet, cpuSource: null, netSource: null };
  }
  const now = await readCounters(c, deps);
  return readingFrom(now, prev, c.startedAt);
}

/** Pure: the reading given current counters and the previous samples. */
export function readingFrom(now: Counters, prev: PreviousSamples, startedAt: number | null): ActivityReading {
  const cpu = now.cpuNs !== null ? { value: now.cpuNs, at: now.at } : null;
  const net = now.netBytes !== null ? { value: now.netBytes, at: now.at } : null;
  return {
    cpuPct: cpuPercent(prev.lastCpu, cpu, startedAt),
    netBytesPerS: perSecond(prev.lastNet, net, startedAt),
    lastCpu: cpu ?? prev.lastCpu,
    lastNet: net ?? prev.lastNet,
    cpuSource: now.cpuSource,
    netSource: now.netSource,
  };
}

/** Samples many containers with bounded concurrency; the map is keyed by container id. */
export async function sampleAll(
  containers: readonly ActivityContainer[],
  previous: (id: string) => PreviousSamples,
  deps: ActivityDeps,
  concurrency = 16,
): Promise<Map<string, ActivityReading>> {
  const readings = await mapLimit(containers, concurrency, (c) => sampleActivity(c, previous(c.id), deps));
  return new Map(containers.map((c, i) => [c.id, readings[i]!]));
}

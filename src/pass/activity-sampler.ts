// The observe step's ActivitySampler: src/signals' cgroup and /proc counters, with the Engine stats
// API as the fallback, measured against each container's previous sample (kept in its record).
import type { ContainerRuntime } from "../model/ports.js";
import { sampleAll } from "../signals/activity.js";
import { DEFAULT_HOST_PATHS, type HostPaths } from "../signals/host-paths.js";
import { asyncHostReads, type HostReads } from "../signals/host-reads.js";
import type { ActivitySampler } from "./observe.js";

export function createActivitySampler(
  runtime: ContainerRuntime,
  paths: HostPaths = DEFAULT_HOST_PATHS,
  now: () => number = Date.now,
  reads: HostReads = asyncHostReads,
): ActivitySampler {
  return {
    async sample(containers, previous) {
      const none = { lastCpu: null, lastNet: null };
      const readings = await sampleAll(containers, (id) => previous.get(id) ?? none, { paths, runtime, now, reads }, 32);
      return new Map([...readings].map(([id, r]) => [id, { activity: { cpuPct: r.cpuPct, netBytesPerS: r.netBytesPerS }, lastCpu: r.lastCpu, lastNet: r.lastNet }]));
    },
  };
}

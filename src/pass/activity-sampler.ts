// ActivitySampler over cgroup and /proc counters (src/signals), with the Engine stats API as the
// fallback when a container's cgroup or network namespace can't be read.
import type { ObservedContainer } from "../model/container.js";
import type { ContainerRuntime } from "../model/ports.js";
import type { ContainerRecord, CounterSample } from "../model/record.js";
import type { ContainerActivity } from "../policy/plan-types.js";
import { readCgroupCpuNs, readContainerCgroups } from "../signals/cgroup-cpu.js";
import { DEFAULT_HOST_PATHS, type HostPaths } from "../signals/host-paths.js";
import { readNetBytes } from "../signals/net-dev.js";
import { cpuPercent, perSecond } from "../signals/rate.js";
import { mapLimit } from "../docker/map-limit.js";
import type { ActivitySampler } from "./observe.js";

type Sampled = { activity: ContainerActivity; lastCpu: CounterSample | null; lastNet: CounterSample | null };

export function createActivitySampler(runtime: ContainerRuntime, paths: HostPaths = DEFAULT_HOST_PATHS, now: () => number = Date.now): ActivitySampler {
  async function one(c: ObservedContainer, prev: ContainerRecord | undefined): Promise<Sampled> {
    let cpuNs: number | null = null;
    let netBytes: number | null = null;
    let at = now();
    if (c.pid) {
      const entries = await readContainerCgroups(paths, c.pid, c.id);
      cpuNs = await readCgroupCpuNs(paths, entries, c);
      netBytes = await readNetBytes(paths, c.pid);
    }
    if (cpuNs === null || netBytes === null) {
      const s = await runtime.stats(c.id).catch(() => null);
      if (s) {
        cpuNs ??= s.cpuTotalNs;
        netBytes ??= s.netRxBytes !== null && s.netTxBytes !== null ? s.netRxBytes + s.netTxBytes : null;
        at = s.at;
      }
    }
    const lastCpu = cpuNs === null ? null : { value: cpuNs, at };
    const lastNet = netBytes === null ? null : { value: netBytes, at };
    return {
      activity: { cpuPct: cpuPercent(prev?.lastCpu ?? null, lastCpu, c.startedAt), netBytesPerS: perSecond(prev?.lastNet ?? null, lastNet, c.startedAt) },
      lastCpu,
      lastNet,
    };
  }
  return {
    async sample(containers, previous) {
      const out = new Map<string, Sampled>();
      await mapLimit(containers, 32, async (c) => void out.set(c.id, await one(c, previous.get(c.id))));
      return out;
    },
  };
}

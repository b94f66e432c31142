// `ds01 status`'s activity interval: from the store's recent sample when there is one, else two
// samples apart (fake engine stats: a container without a PID has no cgroup to read).
import { describe, expect, it } from "vitest";
import { DEFAULT_IDENTITY_OPTIONS } from "../docker/identity.js";
import type { ContainerInfo } from "../model/container.js";
import type { ContainerRuntime, EngineStats } from "../model/ports.js";
import { recentSamples, statusRows } from "./status.js";

const T = Date.parse("2024-05-01T12:00:00Z");
const info = (id: string): ContainerInfo => ({
  id, name: id, image: "busybox", labels: { "ds01.user": "alice" }, state: "running", createdAt: T - 7_200_000, startedAt: T - 3_600_000,
  finishedAt: null, restartCount: 0, pid: null, deviceRequestGpuIds: [], requestsGpu: false, cgroupParent: null, nvidiaVisibleDevices: null,
});

/** Engine stats whose CPU counter grows by one core's worth per second of the fake clock. */
function fakeEngine(clock: { now: number }, ids: string[]) {
  const asked: string[] = [];
  const runtime = {
    list: async () => ids.map(info),
    stats: async (id: string): Promise<EngineStats> => {
      asked.push(id);
      return { at: clock.now, cpuTotalNs: (clock.now - (T - 3_600_000)) * 1e6, netRxBytes: 0, netTxBytes: 0 } as EngineStats;
    },
  } as unknown as ContainerRuntime;
  return { runtime, asked };
}

describe("status activity", () => {
  it("starts the interval at the store's recent sample; samples twice where there is none", async () => {
    const clock = { now: T };
    const { runtime, asked } = fakeEngine(clock, ["with-sample", "without"]);
    const slept: number[] = [];
    const stored = { lastCpu: { value: (T - 60_000 - (T - 3_600_000)) * 1e6 * 0.5, at: T - 60_000 }, lastNet: { value: 0, at: T - 60_000 } };
    const rows = await statusRows(
      {
        runtime,
        identity: DEFAULT_IDENTITY_OPTIONS,
        now: () => clock.now,
        sleep: async (ms) => void slept.push(ms, (clock.now += ms)),
        sampleMs: 500,
        baseline: (id) => (id === "with-sample" ? stored : { lastCpu: null, lastNet: null }),
      },
      null,
    );
    expect(slept[0]).toBe(500);
    expect(asked.filter((id) => id === "with-sample")).toHaveLength(1);
    expect(asked.filter((id) => id === "without")).toHaveLength(2);
    const byId = new Map(rows.map((r) => [r.id, r]));
    expect(byId.get("without")!.cpu_pct).toBeCloseTo(100, 0);
    expect(byId.get("with-sample")!.cpu_pct).toBeGreaterThan(100); // the stored counter was lower: a longer interval
    expect(byId.get("with-sample")!.net_bytes_per_s).toBe(0);
  });

  it("no sleep when every running container has a recent sample", async () => {
    const clock = { now: T };
    const { runtime } = fakeEngine(clock, ["a"]);
    let slept = false;
    const stored = { lastCpu: { value: 0, at: T - 3_000_000 }, lastNet: { value: 0, at: T - 3_000_000 } };
    const rows = await statusRows({ runtime, identity: DEFAULT_IDENTITY_OPTIONS, now: () => clock.now, sleep: async () => void (slept = true), baseline: () => stored }, null);
    expect(slept).toBe(false);
    expect(rows[0]!.cpu_pct).not.toBeNull();
  });

  it("a stored sample is recent only within the limit, and never from the future", () => {
    const s = (at: number) => ({ value: 1, at });
    expect(recentSamples({ lastCpu: s(T - 600_000), lastNet: s(T - 600_001) }, T, 600_000)).toEqual({ lastCpu: s(T - 600_000), lastNet: null });
    expect(recentSamples({ lastCpu: s(T + 1), lastNet: null }, T, 600_000)).toEqual({ lastCpu: null, lastNet: null });
    expect(recentSamples(undefined, T, 600_000)).toEqual({ lastCpu: null, lastNet: null });
  });
});

import { describe, expect, it } from "vitest";
import { METRIC } from "../constants/metrics.js";
import { container, gpu, gpuUuid, inventory, T0 } from "../../test/helpers/fleet.js";
import type { PlannedAction } from "../policy/plan-types.js";
import { DaemonMetrics, KNOWN_ACTIONS } from "./daemon-metrics.js";
import { fleetFigures } from "./fleet-figures.js";
import { emptySnapshot } from "../gate/queue-snapshot.js";

/** `name{labels} value` lines → map (label order as prom-client prints it). */
function samples(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split("\n")) {
    if (!line || line.startsWith("#")) continue;
    const i = line.lastIndexOf(" ");
    out.set(line.slice(0, i), Number(line.slice(i + 1)));
  }
  return out;
}

const idleStop: PlannedAction = { kind: "stop", reason: "idle", containerId: "c", container: "c", user: "u", summary: "", details: {}, group: "g", graceS: 60, notice: { severity: "stopped", title: "", body: "" } };

describe("DaemonMetrics", () => {
  it("exports every metric name of src/constants/metrics.ts", async () => {
    const m = new DaemonMetrics({ version: "0.1.0" });
    m.setFigureSource(() => fleetFigures({ inventory: inventory([gpu(0)]), utilisation: new Map([[gpuUuid(0), 3]]), containers: [container({ gpus: [gpuUuid(0)] })], records: new Map(), now: T0, highDemandThreshold: 0.8 }));
    m.passFinished(0.2, T0);
    m.setUserCgroupUsage([{ user: "alice", group: "student", cpuSeconds: 1.5, memoryBytes: 4096 }]);
    const text = await m.text();
    const names = new Set([...samples(text).keys()].map((k) => k.replace(/\{.*$/, "").replace(/_(bucket|sum|count)$/, "")));
    for (const name of Object.values(METRIC)) expect(names, name).toContain(name);
  });

  it("exports the gate's GPU queue: its length, the wait histogram, and high demand while someone waits", async () => {
    const m = new DaemonMetrics({ version: "x" });
    // One GPU of two held: 50 %, under the 0.8 threshold; the queue alone makes demand high.
    const figures = (w: number) => fleetFigures({ inventory: inventory([gpu(0), gpu(1)]), utilisation: new Map(), containers: [container({ gpus: [gpuUuid(0)] })], records: new Map(), now: T0, highDemandThreshold: 0.8, gpuQueueWaiting: w });
    m.setFigureSource(figures);
    let s = samples(await m.text());
    expect(s.get(METRIC.gpuQueueLength)).toBe(0);
    expect(s.get(METRIC.highDemand)).toBe(0);
    expect(s.get(`${METRIC.gpuQueueWait}_count`)).toBe(0);
    const snap = emptySnapshot(process.pid, T0);
    snap.waiting = [1, 2].map((position) => ({ user: "u", container: `c${position}`, count: 1, position, since: T0 }));
    snap.waits = { count: 3, sumS: 70, buckets: [1, 1, 1, 2, 3, 3, 3, 3, 3] };
    m.setQueueSource(async () => snap);
    s = samples(await m.text());
    expect(s.get(METRIC.gpuQueueLength)).toBe(2);
    expect(s.get(METRIC.highDemand)).toBe(1);
    expect(s.get(`${METRIC.gpuQueueWait}_bucket{le="30"}`)).toBe(2);
    expect(s.get(`${METRIC.gpuQueueWait}_bucket{le="+Inf"}`)).toBe(3);
    expect(s.get(`${METRIC.gpuQueueWait}_sum`)).toBe(70);
  });

  it("user usage comes from the last pass's reading; an unreadable number is left out, a gone user's series goes", async () => {
    const m = new DaemonMetrics({ version: "x" });
    m.setUserCgroupUsage([
      { user: "alice", group: "student", cpuSeconds: 12.5, memoryBytes: 1_048_576 },
      { user: "bob", group: "faculty", cpuSeconds: null, memoryBytes: 10 },
    ]);
    let s = samples(await m.text());
    expect(s.get(`${METRIC.userCpuUsage}{user="alice",group="student"}`)).toBe(12.5);
    expect(s.get(`${METRIC.userMemoryCurrent}{user="alice",group="student"}`)).toBe(1_048_576);
    expect(s.has(`${METRIC.userCpuUsage}{user="bob",group="faculty"}`)).toBe(false);
    m.setUserCgroupUsage([{ user: "alice", group: "student", cpuSeconds: 13, memoryBytes: 0 }]);
    s = samples(await m.text());
    expect(s.get(`${METRIC.userCpuUsage}{user="alice",group="student"}`)).toBe(13);
    expect(s.has(`${METRIC.userMemoryCurrent}{user="bob",group="faculty"}`)).toBe(false);
  });

  it("pre-creates labelled counters at 0 and counts results, deliveries, errors and reloads", async () => {
    const m = new DaemonMetrics({ version: "x" });
    let s = samples(await m.text());
    expect(s.get(`${METRIC.actionsTotal}{kind="stop",reason="idle",result="failed"}`)).toBe(0);
    expect([...s.keys()].filter((k) => k.startsWith(`${METRIC.actionsTotal}{`))).toHaveLength(KNOWN_ACTIONS.length * 2);
    expect(s.get(`${METRIC.probeErrorsTotal}{source="dcgm"}`)).toBe(0);
    expect(s.get(`${METRIC.notificationsTotal}{channel="webhook",result="ok"}`)).toBe(0);
    m.actionResult({ action: idleStop, executed: true, error: null });
    m.actionResult({ action: idleStop, executed: false, error: "boom" });
    m.delivery("tty", false);
    m.probeError("nvidia_smi");
    m.configReload(false);
    m.orphansFound(2);
    m.resetsFailed(0);
    s = samples(await m.text());
    expect(s.get(`${METRIC.actionsTotal}{kind="stop",reason="idle",result="ok"}`)).toBe(1);
    expect(s.get(`${METRIC.actionsTotal}{kind="stop",reason="idle",result="failed"}`)).toBe(1);
    expect(s.get(`${METRIC.notificationsTotal}{channel="tty",result="failed"}`)).toBe(1);
    expect(s.get(`${METRIC.probeErrorsTotal}{source="nvidia_smi"}`)).toBe(1);
    expect(s.get(`${METRIC.configReloadsTotal}{result="failed"}`)).toBe(1);
    expect(s.get(METRIC.orphanProcessesTotal)).toBe(2);
    expect(s.get(METRIC.gpuResetFailuresTotal)).toBe(0);
  });

  it("refreshes gauges at each scrape: a freed GPU reads 0, a vanished container's series goes", async () => {
    const m = new DaemonMetrics({ version: "x" });
    let containers = [container({ name: "train", gpus: [gpuUuid(0)] })];
    m.setFigureSource(() => fleetFigures({ inventory: inventory([gpu(0), gpu(1)]), utilisation: new Map(), containers, records: new Map(), now: T0, highDemandThreshold: 0.8 }));
    let s = samples(await m.text());
    expect(s.get(METRIC.gpuEquivalentsAllocated)).toBe(1);
    expect(s.get(METRIC.gpuEquivalentsTotal)).toBe(2);
    expect(s.get(`${METRIC.gpuSlotAllocated}{gpu_uuid="${gpuUuid(0)}",slot_uuid="${gpuUuid(0)}",profile="full"}`)).toBe(1);
    expect(s.get(`${METRIC.containerIdleStreak}{container="train",owner="alice"}`)).toBe(0);
    containers = [{ ...containers[0]!, state: "exited" }];
    s = samples(await m.text());
    expect(s.get(METRIC.gpuEquivalentsAllocated)).toBe(0);
    expect(s.get(`${METRIC.gpuSlotAllocated}{gpu_uuid="${gpuUuid(0)}",slot_uuid="${gpuUuid(0)}",profile="full"}`)).toBe(0);
    expect([...s.keys()].some((k) => k.startsWith(METRIC.containerIdleStreak + "{"))).toBe(false);
    expect(s.get(`${METRIC.containers}{state="exited",type="docker",owner="alice"}`)).toBe(1);
  });
});

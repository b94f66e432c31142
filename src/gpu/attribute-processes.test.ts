import { describe, expect, it } from "vitest";
import type { Gpu, GpuInventory, GpuProcess } from "../model/gpu.js";
import type { HostProcesses } from "../model/ports.js";
import { attributeProcesses } from "./attribute-processes.js";

const proc = (pid: number, gpuUuid: string): GpuProcess => ({
  pid,
  name: null,
  usedMemoryMib: 1,
  gpuUuid,
  migUuid: null,
  gpuInstanceId: null,
  computeInstanceId: null,
  containerId: null,
  notOnHost: false,
});
const gpu = (uuid: string, pids: number[]): Gpu => ({
  index: 0,
  uuid,
  name: null,
  migEnabled: false,
  usable: true,
  utilizationPct: null,
  memoryUsedMib: null,
  memoryTotalMib: null,
  migDevices: [],
  processes: pids.map((p) => proc(p, uuid)),
});

/** A table-driven HostProcesses (the port, not the filesystem): pid → container id, or absent. */
function hostOf(table: Record<number, string | null>): HostProcesses & { lookups: number[] } {
  const lookups: number[] = [];
  return {
    lookups,
    exists: async (pid) => pid in table,
    containerOf: async (pid) => (lookups.push(pid), table[pid] ?? null),
    signal: async () => undefined,
    identity: async (pid) => (pid in table ? { startTicks: `${pid}0`, comm: "python3", argv0: "/usr/bin/python3" } : null),
  };
}

describe("attributeProcesses", () => {
  it("fills container ids, marks PIDs missing from /proc as not on host, looks each PID up once", async () => {
    const inv: GpuInventory = { error: null, gpus: [gpu("GPU-a", [100, 200, 300]), gpu("GPU-b", [100])] };
    const host = hostOf({ 100: "c".repeat(64), 200: null });
    const out = await attributeProcesses(inv, host);
    expect(out.gpus.map((g) => g.processes.map((p) => [p.pid, p.containerId, p.notOnHost]))).toEqual([
      [
        [100, "c".repeat(64), false],
        [200, null, false],
        [300, null, true],
      ],
      [[100, "c".repeat(64), false]],
    ]);
    expect(host.lookups.sort()).toEqual([100, 200]);
    expect(inv.gpus[0]!.processes[0]!.containerId).toBeNull(); // input not mutated
  });

  it("records the start time; a name other than nvidia-smi's means the PID was reused: no identity", async () => {
    const named = (pid: number, name: string | null): GpuProcess => ({ ...proc(pid, "GPU-a"), name });
    const inv: GpuInventory = { error: null, gpus: [{ ...gpu("GPU-a", []), processes: [named(100, "python3"), named(200, "/usr/bin/python3"), named(300, "bash"), named(400, null)] }] };
    const out = await attributeProcesses(inv, hostOf({ 100: null, 200: null, 300: null, 400: null }));
    expect(out.gpus[0]!.processes.map((p) => p.identity?.startTicks ?? null)).toEqual(["1000", "2000", null, "4000"]);
  });
});

import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { execFileWithTimeout } from "../util/exec.js";
import { aggregateCaps, sliceUnit, UNIT_HEADER, v1Writes, v2Writes } from "./caps.js";
import { userParent } from "./names.js";

const agg = (over: Partial<Parameters<typeof aggregateCaps>[0] & object> = {}) => ({ cpu_quota: null, memory_max: null, memory_high: null, tasks_max: null, ...over });
const GIB = 1024 ** 3;

describe("aggregateCaps", () => {
  it.each([
    ["no block", null, null],
    ["a block that caps nothing (gpu_limit only)", agg(), null],
    ["memory_high alone caps nothing", agg({ memory_high: "8G" }), null],
    ["percent quota", agg({ cpu_quota: "400%" }), { cpuCores: 4, memoryMax: null, memoryHigh: null, tasksMax: null }],
    ["cores as a number", agg({ cpu_quota: "2.5", memory_max: "96G", memory_high: "90G", tasks_max: 4096 }), { cpuCores: 2.5, memoryMax: 96 * GIB, memoryHigh: 90 * GIB, tasksMax: 4096 }],
    ["zero quota is no cap", agg({ cpu_quota: "0%", tasks_max: 10 }), { cpuCores: null, memoryMax: null, memoryHigh: null, tasksMax: 10 }],
  ] as const)("%s", (_n, a, expected) => {
    expect(aggregateCaps(a)).toEqual(expected);
  });

  it("a size it cannot read is an error, not a missing cap", () => {
    expect(() => aggregateCaps(agg({ memory_max: "lots" }))).toThrow(/memory_max "lots"/);
  });
});

const caps = { cpuCores: 4, memoryMax: 96 * GIB, memoryHigh: 90 * GIB, tasksMax: 4096 };

describe("limit files", () => {
  it("v1: memory limit and soft limit, CFS period before quota, pids; no caps lifts each", () => {
    expect(v1Writes(caps)).toEqual([
      { controller: "memory", file: "memory.limit_in_bytes", value: String(96 * GIB) },
      { controller: "memory", file: "memory.soft_limit_in_bytes", value: String(90 * GIB) },
      { controller: "cpu", file: "cpu.cfs_period_us", value: "100000" },
      { controller: "cpu", file: "cpu.cfs_quota_us", value: "400000" },
      { controller: "pids", file: "pids.max", value: "4096" },
    ]);
    expect(v1Writes(null).map((w) => w.value)).toEqual(["-1", "-1", "100000", "-1", "max"]);
    expect(v1Writes({ ...caps, cpuCores: 0.001 }).find((w) => w.file === "cpu.cfs_quota_us")!.value).toBe("1000");
  });

  it("v2: memory.max, memory.high, cpu.max as quota and period, pids.max", () => {
    expect(v2Writes(caps).map((w) => `${w.file}=${w.value}`)).toEqual([`memory.max=${96 * GIB}`, `memory.high=${90 * GIB}`, "cpu.max=400000 100000", "pids.max=4096"]);
    expect(v2Writes(null).map((w) => `${w.file}=${w.value}`)).toEqual(["memory.max=max", "memory.high=max", "cpu.max=max 100000", "pids.max=max"]);
  });

  it("systemd: a slice unit with CPUQuota, MemoryMax, MemoryHigh, TasksMax, that systemd-analyze verify accepts without a warning", async () => {
    const parent = userParent({ driver: "systemd" }, "alice", "student");
    const text = sliceUnit(parent, caps);
    expect(text.startsWith(`${UNIT_HEADER}\n`)).toBe(true);
    expect(text).toContain("[Slice]\nCPUQuota=400%\nMemoryMax=103079215104\nMemoryHigh=96636764160\nTasksMax=4096\n");
    const lifted = sliceUnit(parent, { cpuCores: null, memoryMax: 1, memoryHigh: null, tasksMax: null });
    expect(lifted).toContain("CPUQuota=\nMemoryMax=1\nMemoryHigh=infinity\nTasksMax=infinity\n");
    const dir = mkdtempSync(join(tmpdir(), "ds01-slice-"));
    try {
      for (const [i, t] of [text, lifted].entries()) {
        const file = join(dir, i === 0 ? parent.unit! : "ds01-student-bob.slice");
        writeFileSync(file, t);
        const r = await execFileWithTimeout("systemd-analyze", ["verify", file], { timeoutMs: 30_000 });
        const said = `${r.stdout.toString()}${r.stderr.toString()}`;
        expect(r.code, said).toBe(0);
        expect(said, "systemd-analyze warned about the unit").not.toMatch(/ignoring|invalid|unknown/i);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("a hostile login cannot add lines or specifiers to the unit", () => {
    const text = sliceUnit(userParent({ driver: "systemd" }, "x\n[Service]\nExecStart=/bin/sh %h", "g"), caps);
    expect(text).not.toMatch(/\[Service\]|^ExecStart|%h/m);
    expect(text.split("\n")).toHaveLength(sliceUnit(userParent({ driver: "systemd" }, "alice", "g"), caps).split("\n").length);
  });
});

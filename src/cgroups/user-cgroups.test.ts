import { mkdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { fixture, T0, type Fixture } from "../../test/helpers/cgroup-fixture.js";
import { CgroupError, PREPARED_REUSE_MS, PreparedParents, UserCgroups } from "./user-cgroups.js";

const GIB = 1024 ** 3;
const caps = { cpuCores: 4, memoryMax: 8 * GIB, memoryHigh: null, tasksMax: 512 };
let f: Fixture;
afterEach(() => f?.remove());

describe("prepare, cgroupfs on cgroup v1", () => {
  it("makes the parent in the memory, cpu, cpuacct and pids hierarchies and writes each limit there", async () => {
    f = fixture({ driver: "cgroupfs", version: 1 });
    expect(await f.cg.prepare("alice", "student", caps)).toBe("/ds01/student-alice");
    const d = (h: string, file: string) => f.read(`cgroup/${h}/ds01/student-alice/${file}`);
    expect(d("memory", "memory.limit_in_bytes")).toBe(String(8 * GIB));
    expect(d("memory", "memory.soft_limit_in_bytes")).toBe("-1");
    expect(d("cpu", "cpu.cfs_period_us")).toBe("100000");
    expect(d("cpu", "cpu.cfs_quota_us")).toBe("400000");
    expect(d("pids", "pids.max")).toBe("512");
    expect(() => f.read("cgroup/cpuacct/ds01/student-alice")).toThrow(/EISDIR/); // made, nothing written
    expect(() => f.read("cgroup/blkio/ds01/student-alice")).toThrow(/ENOENT/); // Docker makes the rest
  });

  it("a limit that cannot be written is a CgroupError naming the file (the create is refused)", async () => {
    f = fixture({ driver: "cgroupfs", version: 1 });
    mkdirSync(join(f.root, "pids/ds01/student-alice/pids.max"), { recursive: true }); // a directory where the file should be
    const err = await f.cg.prepare("alice", "student", caps).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CgroupError);
    expect((err as Error).message).toMatch(/pids\/ds01\/student-alice\/pids\.max could not be set to 512/);
  });

  it("update writes the new limits into an existing parent, lifts them when the aggregate went, and leaves a missing one absent", async () => {
    f = fixture({ driver: "cgroupfs", version: 1 });
    const p = f.cg.parentOf("alice", "student");
    expect(await f.cg.update(p, caps)).toEqual({ exists: false, kept: [] });
    expect(() => f.read("cgroup/memory/ds01/student-alice")).toThrow(/ENOENT/);
    await f.cg.prepare("alice", "student", caps);
    expect(await f.cg.update(p, { ...caps, memoryMax: GIB })).toEqual({ exists: true, kept: [] });
    expect(f.read("cgroup/memory/ds01/student-alice/memory.limit_in_bytes")).toBe(String(GIB));
    await f.cg.update(p, null);
    expect(f.read("cgroup/memory/ds01/student-alice/memory.limit_in_bytes")).toBe("-1");
    expect(f.read("cgroup/cpu/ds01/student-alice/cpu.cfs_quota_us")).toBe("-1");
    expect(f.read("cgroup/pids/ds01/student-alice/pids.max")).toBe("max");
  });
});

describe("prepare again soon after (a burst of creates)", () => {
  /** A UserCgroups over the fixture that counts writes and has a clock the test moves. */
  function counting() {
    let now = T0;
    let writes = 0;
    const fs = f.cg.opts.fs;
    const cg = new UserCgroups({ ...f.cg.opts, now: () => now, prepared: new PreparedParents(), fs: { ...fs, write: (p, v) => (writes++, fs.write(p, v)) } });
    return { cg, writes: () => writes, advance: (ms: number) => (now += ms) };
  }

  it("writes the files once for the same limits within the reuse window, and again after it", async () => {
    f = fixture({ driver: "cgroupfs", version: 1 });
    const c = counting();
    await c.cg.prepare("alice", "student", caps);
    const first = c.writes();
    expect(first).toBeGreaterThan(0);
    c.advance(PREPARED_REUSE_MS - 1);
    expect(await c.cg.prepare("alice", "student", caps)).toBe("/ds01/student-alice");
    expect(c.writes()).toBe(first);
    c.advance(1);
    await c.cg.prepare("alice", "student", caps);
    expect(c.writes()).toBe(2 * first);
  });

  it("writes again when the limits differ, when the parent was removed meanwhile, and after update()", async () => {
    f = fixture({ driver: "cgroupfs", version: 1 });
    const c = counting();
    await c.cg.prepare("alice", "student", caps);
    const once = c.writes();
    await c.cg.prepare("alice", "student", { ...caps, tasksMax: 256 });
    expect(c.writes()).toBe(2 * once);
    expect(f.read("cgroup/pids/ds01/student-alice/pids.max")).toBe("256");

    rmSync(join(f.root, "cpu/ds01/student-alice"), { recursive: true });
    await c.cg.prepare("alice", "student", { ...caps, tasksMax: 256 });
    expect(c.writes()).toBe(3 * once);
    expect(f.read("cgroup/cpu/ds01/student-alice/cpu.cfs_quota_us")).toBe("400000");

    // An admin's reload wrote other limits: the next prepare puts the create's own limits back.
    await c.cg.update(c.cg.parentOf("alice", "student"), { ...caps, tasksMax: 128 });
    await c.cg.prepare("alice", "student", { ...caps, tasksMax: 256 });
    expect(f.read("cgroup/pids/ds01/student-alice/pids.max")).toBe("256");
  });
});

describe("a CPU quota the kernel will not lower yet", () => {
  const einval = (file: string) => Object.assign(new Error(`EINVAL: invalid argument, open '${file}'`), { code: "EINVAL" });
  it("v1: the parent keeps its finite quota (still a cap) and says so; without one, the failure is an error", async () => {
    f = fixture({ driver: "cgroupfs", version: 1 });
    await f.cg.prepare("alice", "student", caps);
    const fs = f.cg.opts.fs;
    const refusing = new UserCgroups({ ...f.cg.opts, fs: { ...fs, write: (path, v) => (path.endsWith("cpu.cfs_quota_us") ? Promise.reject(einval(path)) : fs.write(path, v)) } });
    const p = refusing.parentOf("alice", "student");
    const r = await refusing.update(p, { ...caps, cpuCores: 1, memoryMax: GIB });
    expect(r.kept).toEqual([expect.stringMatching(/cpu\/ds01\/student-alice\/cpu\.cfs_quota_us stays 400000$/)]);
    expect(f.read("cgroup/memory/ds01/student-alice/memory.limit_in_bytes")).toBe(String(GIB));
    f.write("cgroup/cpu/ds01/student-alice/cpu.cfs_quota_us", "-1");
    await expect(refusing.prepare("alice", "student", caps)).rejects.toThrow(/cpu\.cfs_quota_us could not be set to 400000: EINVAL/);
  });
});

describe("prepare, cgroupfs on cgroup v2", () => {
  it("enables cpu, memory and pids down the path, then writes memory.max, memory.high, cpu.max and pids.max", async () => {
    f = fixture({ driver: "cgroupfs", version: 2 });
    expect(await f.cg.prepare("alice", "student", { ...caps, memoryHigh: 7 * GIB })).toBe("/ds01/student-alice");
    for (const d of ["cgroup", "cgroup/ds01", "cgroup/ds01/student-alice"]) expect(f.read(`${d}/cgroup.subtree_control`)).toBe("+cpu +memory +pids");
    const r = (file: string) => f.read(`cgroup/ds01/student-alice/${file}`);
    expect([r("memory.max"), r("memory.high"), r("cpu.max"), r("pids.max")]).toEqual([String(8 * GIB), String(7 * GIB), "400000 100000", "512"]);
  });
});

describe("prepare, systemd driver", () => {
  it("writes the slice unit and reloads systemd once; an unchanged unit is not rewritten nor reloaded", async () => {
    f = fixture({ driver: "systemd", version: 2 });
    expect(await f.cg.prepare("alice", "student", caps)).toBe("ds01-student-alice.slice");
    const unit = f.read("units/ds01-student-alice.slice");
    expect(unit).toContain(`CPUQuota=400%\nMemoryMax=${8 * GIB}\nMemoryHigh=infinity\nTasksMax=512\n`);
    expect(f.systemctlCalls).toEqual([["daemon-reload"]]);
    await f.cg.prepare("alice", "student", caps);
    expect(f.systemctlCalls).toHaveLength(1);
    await f.cg.update(f.cg.parentOf("alice", "student"), { ...caps, tasksMax: 100 });
    expect(f.read("units/ds01-student-alice.slice")).toContain("TasksMax=100\n");
    expect(f.systemctlCalls).toHaveLength(2);
  });

  it("a failing daemon-reload refuses the create", async () => {
    f = fixture({ driver: "systemd", version: 1 }, { systemctlFails: true });
    await expect(f.cg.prepare("alice", "student", caps)).rejects.toThrow(/daemon-reload failed: systemctl: Failed to connect to bus/);
  });
});

describe("prepared parents are marked fresh", () => {
  it("the parent's time is set to now (the daemon leaves fresh parents alone)", async () => {
    f = fixture({ driver: "cgroupfs", version: 1 }, { now: T0 });
    await f.cg.prepare("alice", "student", caps);
    expect(await f.cg.opts.fs.mtimeMs(join(f.root, "memory/ds01/student-alice"))).toBe(T0);
  });
});

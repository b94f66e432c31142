import { afterEach, describe, expect, it } from "vitest";
import { fixture, T0, type Fixture } from "../../test/helpers/cgroup-fixture.js";
import { EMPTY_PARENT_MIN_AGE_MS, removeEmptyParents, sliceDir } from "./cleanup.js";

const caps = { cpuCores: 1, memoryMax: 1 << 30, memoryHigh: null, tasksMax: null };
// Fixture directories the tests make carry the real time; "later" is past the wait for all of them.
const LATER = Date.now() + 2 * EMPTY_PARENT_MIN_AGE_MS;
let f: Fixture;
afterEach(() => f?.remove());

const exists = (rel: string) => {
  try {
    f.read(rel);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EISDIR";
  }
};

describe("removeEmptyParents, cgroupfs v1", () => {
  it("removes an empty parent from every hierarchy, Docker's too; keeps one with a process, a child, or a recent change", async () => {
    f = fixture({ driver: "cgroupfs", version: 1 });
    for (const u of ["empty", "busy", "parent", "young"]) await f.cg.prepare(u, "student", caps);
    f.mkdir("cgroup/blkio/ds01/student-empty"); // made by Docker at a container's start
    f.write("cgroup/pids/ds01/student-busy/cgroup.procs", "4242\n");
    f.mkdir("cgroup/memory/ds01/student-parent/0123abcd"); // a running container's cgroup
    f.age("cgroup/memory/ds01/student-young", LATER - 1000); // a create prepared it again just now
    const r = await removeEmptyParents(f.cg, LATER);
    expect(r).toEqual({ removed: ["/ds01/student-empty"], failed: [] });
    for (const h of ["memory", "cpu", "cpuacct", "pids", "blkio"]) expect(exists(`cgroup/${h}/ds01/student-empty`), h).toBe(false);
    for (const u of ["busy", "parent"]) for (const h of ["memory", "cpu", "pids"]) expect(exists(`cgroup/${h}/ds01/student-${u}`), `${u} ${h}`).toBe(true);
  });

  it("leaves a parent prepared less than a minute ago, removes it once it has been empty longer", async () => {
    f = fixture({ driver: "cgroupfs", version: 1 });
    await f.cg.prepare("alice", "student", caps);
    expect((await removeEmptyParents(f.cg, T0 + 1000)).removed).toEqual([]);
    expect((await removeEmptyParents(f.cg, LATER)).removed).toEqual(["/ds01/student-alice"]);
    expect(exists("cgroup/memory/ds01/student-alice")).toBe(false);
  });
});

describe("removeEmptyParents, cgroupfs v2", () => {
  it("removes an empty parent, keeps one with processes", async () => {
    f = fixture({ driver: "cgroupfs", version: 2 });
    await f.cg.prepare("alice", "student", caps);
    await f.cg.prepare("bob", "student", caps);
    f.write("cgroup/ds01/student-bob/cgroup.procs", "17\n");
    f.age("cgroup/ds01/student-bob", T0);
    expect((await removeEmptyParents(f.cg, LATER)).removed).toEqual(["/ds01/student-alice"]);
    expect(exists("cgroup/ds01/student-bob")).toBe(true);
  });
});

describe("removeEmptyParents, systemd", () => {
  it("stops and removes ds01's own unit when its slice is empty, reloads once; a foreign unit and a busy slice stay", async () => {
    f = fixture({ driver: "systemd", version: 2 });
    await f.cg.prepare("alice", "student", caps);
    await f.cg.prepare("bob", "student", caps);
    f.mkdir("cgroup/ds01.slice/ds01-student.slice/ds01-student-bob.slice/docker-1234.scope");
    f.write("units/ds01-admin-root.slice", "[Slice]\nCPUQuota=1%\n"); // not written by ds01
    for (const u of ["alice", "bob"]) f.age(`units/ds01-student-${u}.slice`, T0);
    f.age("units/ds01-admin-root.slice", T0);
    f.systemctlCalls.length = 0;
    const r = await removeEmptyParents(f.cg, LATER);
    expect(r).toEqual({ removed: ["ds01-student-alice.slice"], failed: [] });
    expect(f.systemctlCalls).toEqual([["stop", "ds01-student-alice.slice"], ["daemon-reload"]]);
    expect(exists("units/ds01-student-alice.slice")).toBe(false);
    expect(exists("units/ds01-student-bob.slice")).toBe(true);
    expect(exists("units/ds01-admin-root.slice")).toBe(true);
  });

  it("maps a unit name back to its nested slice directory, and only names ds01 writes", () => {
    expect(sliceDir("ds01-student-alice.slice")).toBe("ds01.slice/ds01-student.slice/ds01-student-alice.slice");
    expect(sliceDir("ds01-a-b-c.slice")).toBeNull();
    expect(sliceDir("user-1000.slice")).toBeNull();
  });
});

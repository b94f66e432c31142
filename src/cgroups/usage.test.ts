import { afterEach, describe, expect, it } from "vitest";
import { fixture, type Fixture } from "../../test/helpers/cgroup-fixture.js";
import { OomDetector } from "./oom-detector.js";
import { oomKillCounters, parentUsage, parseKeyedLines, parseSingleNumber } from "./usage.js";
import { userParent } from "./names.js";

let f: Fixture;
afterEach(() => f?.remove());

const ID = "a".repeat(64);

describe("parsing", () => {
  it("keyed lines and single numbers; garbage is unknown, not 0", () => {
    expect([...parseKeyedLines("oom_kill_disable 0\nunder_oom 0\noom_kill 3\n")]).toEqual([["oom_kill_disable", 0], ["under_oom", 0], ["oom_kill", 3]]);
    expect([...parseKeyedLines("usage_usec 12\ngarbage\nuser_usec x\n")]).toEqual([["usage_usec", 12]]);
    expect(parseSingleNumber("123\n")).toBe(123);
    expect(parseSingleNumber("max\n")).toBeNull();
    expect(parseSingleNumber(null)).toBeNull();
  });
});

describe("usage and OOM counters of a parent", () => {
  it("v1: cpuacct.usage and memory.usage_in_bytes; oom_kill of the parent and of each container below it", async () => {
    f = fixture({ driver: "cgroupfs", version: 1 });
    const p = userParent(f.cg.setup, "alice", "student");
    expect(await parentUsage(f.cg, p)).toBeNull();
    expect(await oomKillCounters(f.cg, p)).toEqual(new Map());
    f.mkdir(`cgroup/memory/ds01/student-alice/${ID}`);
    f.mkdir("cgroup/cpuacct/ds01/student-alice");
    f.write("cgroup/cpuacct/ds01/student-alice/cpuacct.usage", "2500000000\n");
    f.write("cgroup/memory/ds01/student-alice/memory.usage_in_bytes", "4096\n");
    f.write("cgroup/memory/ds01/student-alice/memory.oom_control", "oom_kill_disable 0\nunder_oom 0\noom_kill 0\n");
    f.write(`cgroup/memory/ds01/student-alice/${ID}/memory.oom_control`, "oom_kill_disable 0\nunder_oom 0\noom_kill 2\n");
    expect(await parentUsage(f.cg, p)).toEqual({ cpuSeconds: 2.5, memoryBytes: 4096 });
    expect(await oomKillCounters(f.cg, p)).toEqual(new Map([["", 0], [ID, 2]]));
  });

  it("v2: cpu.stat usage_usec, memory.current, memory.events oom_kill (the whole subtree's)", async () => {
    f = fixture({ driver: "cgroupfs", version: 2 });
    const p = userParent(f.cg.setup, "alice", "student");
    f.mkdir("cgroup/ds01/student-alice");
    f.write("cgroup/ds01/student-alice/cpu.stat", "usage_usec 1500000\nuser_usec 1000000\nsystem_usec 500000\n");
    f.write("cgroup/ds01/student-alice/memory.current", "8192\n");
    f.write("cgroup/ds01/student-alice/memory.events", "low 0\nhigh 4\nmax 9\noom 2\noom_kill 1\noom_group_kill 0\n");
    expect(await parentUsage(f.cg, p)).toEqual({ cpuSeconds: 1.5, memoryBytes: 8192 });
    expect(await oomKillCounters(f.cg, p)).toEqual(new Map([["", 1]]));
  });

  it("a counter ds01 cannot read is unknown", async () => {
    f = fixture({ driver: "cgroupfs", version: 2 });
    f.mkdir("cgroup/ds01/student-alice");
    expect(await parentUsage(f.cg, userParent(f.cg.setup, "alice", "student"))).toEqual({ cpuSeconds: null, memoryBytes: null });
  });
});

describe("OomDetector", () => {
  const alice = userParent({ driver: "cgroupfs" }, "alice", "student");
  const bob = userParent({ driver: "cgroupfs" }, "bob", "student");
  const look = (d: OomDetector, entries: [typeof alice, [string, number][]][]) => d.observe(new Map(entries.map(([p, c]) => [p, new Map(c)])));

  it("the first look is the baseline; later increases are findings, with where they happened", () => {
    const d = new OomDetector();
    expect(look(d, [[alice, [["", 0], [ID, 5]]]])).toEqual([]);
    expect(look(d, [[alice, [["", 0], [ID, 5]]]])).toEqual([]);
    expect(look(d, [[alice, [["", 1], [ID, 7]]]])).toEqual([{ user: "alice", group: "student", cgroupParent: "/ds01/student-alice", count: 3, cgroups: ["", ID] }]);
  });

  it("a counter or parent that appears after the first look starts from 0; a reset counter counts from 0", () => {
    const d = new OomDetector();
    look(d, [[alice, [["", 0]]]]);
    expect(look(d, [[alice, [["", 0], ["b".repeat(64), 1]]], [bob, [["", 2]]]]).map((x) => [x.user, x.count])).toEqual([["alice", 1], ["bob", 2]]);
    expect(look(d, [[bob, [["", 1]]]]).map((x) => x.count)).toEqual([1]);
  });

  it("a parent not looked at keeps its values (no repeat when it is seen again); a removed one is forgotten", () => {
    const d = new OomDetector();
    look(d, [[bob, [["", 2]]]]);
    look(d, []);
    expect(look(d, [[bob, [["", 2]]]])).toEqual([]);
    d.forget(bob.cgroupParent);
    expect(look(d, [[bob, [["", 2]]]]).map((x) => x.count)).toEqual([2]);
  });
});

// The daemon's pass over users' cgroup parents, on a fixture v1 tree with a real config: limits
// brought to the config, empty parents removed, usage rows for /metrics, OOM kills audited and told.
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { UserCgroupWatch } from "../../src/cgroups/daemon-watch.js";
import { loadConfig } from "../../src/config/load-config.js";
import { resolvePolicy } from "../../src/config/resolve-policy.js";
import { EVENT } from "../../src/constants/event-types.js";
import type { AuditEvent } from "../../src/model/audit-event.js";
import type { Notice } from "../../src/model/notice.js";
import { silentLogger } from "../../src/util/log.js";
import { fixture, type Fixture } from "../helpers/cgroup-fixture.js";
import { MINIMAL, configDir, removeConfigDirs } from "../config/config-dir.js";

afterAll(removeConfigDirs);
let f: Fixture;
afterEach(() => f?.remove());

const YAML = `${MINIMAL}  researcher:
    members: [alice]
    aggregate: { cpu_quota: "150%", memory_max: 2G, tasks_max: 300, gpu_limit: 2 }
  faculty:
    members: [bob]
cgroups:
  root: /srv/cgroup
  unit_dir: /srv/units
`;
const ID = "c".repeat(64);

describe("resolved policy and config", () => {
  it("the aggregate caps are exposed on the resolved policy (null without a block); cgroups: paths are read", async () => {
    const c = await loadConfig(configDir({ "resource-limits.yaml": YAML }));
    expect(resolvePolicy(c, "alice", 0).aggregate).toEqual({ cpu_quota: "150%", memory_max: "2G", memory_high: null, tasks_max: 300 });
    expect(resolvePolicy(c, "bob", 0).aggregate).toBeNull();
    expect(c.cgroups).toEqual({ root: "/srv/cgroup", unit_dir: "/srv/units" });
    expect((await loadConfig(configDir({ "resource-limits.yaml": MINIMAL }))).cgroups).toEqual({ root: "/sys/fs/cgroup", unit_dir: "/run/systemd/system" });
  });
});

describe("UserCgroupWatch.pass", () => {
  it("updates, cleans, reads usage, and reports an OOM kill once: audited and sent to the owner", async () => {
    const config = await loadConfig(configDir({ "resource-limits.yaml": YAML }));
    f = fixture({ driver: "cgroupfs", version: 1 });
    const events: AuditEvent[] = [];
    const notices: Notice[] = [];
    const notifier = { notify: async (n: Notice) => (notices.push(n), []) };
    const watch = new UserCgroupWatch({ cgroups: async () => f.cg, append: (e) => events.push(e), log: silentLogger, now: () => Date.now() });

    // alice's parent exists with stale limits and a running container; an old empty parent of someone gone.
    await f.cg.prepare("alice", "researcher", { cpuCores: 8, memoryMax: 1, memoryHigh: null, tasksMax: null });
    f.mkdir(`cgroup/memory/ds01/researcher-alice/${ID}`);
    f.write(`cgroup/memory/ds01/researcher-alice/${ID}/memory.oom_control`, "oom_kill_disable 0\nunder_oom 0\noom_kill 4\n");
    f.write("cgroup/memory/ds01/researcher-alice/memory.usage_in_bytes", "1048576\n");
    f.write("cgroup/cpuacct/ds01/researcher-alice/cpuacct.usage", "3000000000\n");
    await f.cg.prepare("gone", "student", { cpuCores: 1, memoryMax: null, memoryHigh: null, tasksMax: null });
    for (const h of ["memory", "cpu", "cpuacct", "pids"]) f.age(`cgroup/${h}/ds01/student-gone`, Date.now() - 3_600_000);

    const rows = await watch.pass(config, ["alice", "bob"], notifier);
    expect(rows).toEqual([{ user: "alice", group: "researcher", cpuSeconds: 3, memoryBytes: 1048576 }]);
    expect(f.read("cgroup/memory/ds01/researcher-alice/memory.limit_in_bytes")).toBe(String(2 * 1024 ** 3));
    expect(f.read("cgroup/cpu/ds01/researcher-alice/cpu.cfs_quota_us")).toBe("150000");
    expect(f.read("cgroup/pids/ds01/researcher-alice/pids.max")).toBe("300");
    expect(events.map((e) => [e.type, e.details.cgroup_parent])).toEqual([[EVENT.userCgroupRemoved, "/ds01/student-gone"]]);
    expect(notices).toEqual([]); // the first look is the baseline

    f.write(`cgroup/memory/ds01/researcher-alice/${ID}/memory.oom_control`, "oom_kill_disable 0\nunder_oom 0\noom_kill 6\n");
    await watch.pass(config, ["alice", "bob"], notifier);
    await watch.pass(config, ["alice", "bob"], notifier);
    const oom = events.filter((e) => e.type === EVENT.userOomKill);
    expect(oom).toHaveLength(1);
    expect(oom[0]).toMatchObject({ user: "alice", containerId: ID, details: { group: "researcher", count: 2, cgroup_parent: "/ds01/researcher-alice", containers: [ID], aggregate_memory_max: "2G" } });
    expect(notices).toHaveLength(1);
    expect(notices[0]).toMatchObject({ audience: "user", user: "alice", containerId: ID, title: "OUT OF MEMORY" });
    expect(notices[0]!.body).toMatch(/^2 processes were killed in your containers for lack of memory: all your containers together may use 2G \(aggregate memory_max\)/);
  });

  it("a setup that cannot be detected is logged and skipped, not thrown", async () => {
    const config = await loadConfig(configDir({ "resource-limits.yaml": YAML }));
    const watch = new UserCgroupWatch({ cgroups: () => Promise.reject(new Error("engine down")), append: () => undefined, log: silentLogger, now: () => 0 });
    expect(await watch.pass(config, ["alice"], null)).toEqual([]);
  });
});

// The real daemon (child process, real Docker) looking after a user's cgroup parent in a fixture tree
// (config cgroups.root), so no real cgroup is touched: limits brought to the config at a pass and
// at once on a reload, usage exported in /metrics, a new OOM kill audited.
import { readFileSync, writeFileSync } from "node:fs";
import { appendFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EVENT } from "../../src/constants/event-types.js";
import { METRIC } from "../../src/constants/metrics.js";
import { useTestContainers } from "../helpers/containers.js";
import { fixture, type Fixture } from "../helpers/cgroup-fixture.js";
import { auditEvents, daemonDirs, ensureBuilt, scrape, startDaemon, until, type DaemonChild, type DaemonDirs } from "./daemon-process.js";

const tc = useTestContainers("daemon-cg");
const USER = "ds01cgd";
const ID = "d".repeat(64);
const GIB = 1024 ** 3;
let dirs: DaemonDirs;
let f: Fixture;
let d: DaemonChild;
const overrides = (memoryMax: string) => `${USER}:\n  aggregate: { cpu_quota: "100%", memory_max: ${memoryMax}, tasks_max: 100 }\n`;

beforeAll(async () => {
  await ensureBuilt();
  f = fixture({ driver: "cgroupfs", version: 1 }); // this host's Docker: cgroupfs on v1
  await f.cg.prepare(USER, "student", { cpuCores: 8, memoryMax: 1, memoryHigh: null, tasksMax: null }); // stale limits
  const p = "cgroup/memory/ds01/student-ds01cgd";
  f.mkdir(`${p}/${ID}`); // a container's cgroup: the parent is in use
  f.write(`${p}/${ID}/memory.oom_control`, "oom_kill_disable 0\nunder_oom 0\noom_kill 0\n");
  f.write(`${p}/memory.usage_in_bytes`, "123456789\n");
  f.write("cgroup/cpuacct/ds01/student-ds01cgd/cpuacct.usage", "42000000000\n");
  dirs = await daemonDirs();
  await appendFile(join(dirs.configDir, "resource-limits.yaml"), `\ncgroups:\n  root: ${f.root}\n`);
  writeFileSync(join(dirs.configDir, "user-overrides.yaml"), overrides("1G"));
}, 200_000);

afterAll(async () => {
  await d?.stop("SIGKILL");
  f?.remove();
});

const limit = () => readFileSync(join(f.root, "memory/ds01/student-ds01cgd/memory.limit_in_bytes"), "utf8");

describe("the daemon and users' cgroup parents", () => {
  it("updates the limits, exports the usage, audits a new OOM kill, and follows a config edit", async () => {
    await tc.create({ labels: { "ds01.user": USER } });
    d = await startDaemon({ ...dirs, runId: tc.runId });
    const labels = `{user="${USER}",group="student"}`;
    const m = await until(async () => {
      const s = await scrape(d.url);
      return s.has(`${METRIC.userMemoryCurrent}${labels}`) ? s : null;
    }, 20_000);
    expect(m, JSON.stringify(d.lines.slice(-10))).not.toBeNull();
    expect(m!.get(`${METRIC.userMemoryCurrent}${labels}`)).toBe(123456789);
    expect(m!.get(`${METRIC.userCpuUsage}${labels}`)).toBe(42);
    expect(limit()).toBe(String(GIB));
    expect(readFileSync(join(f.root, "cpu/ds01/student-ds01cgd/cpu.cfs_quota_us"), "utf8")).toBe("100000");

    f.write(`cgroup/memory/ds01/student-ds01cgd/${ID}/memory.oom_control`, "oom_kill_disable 0\nunder_oom 0\noom_kill 3\n");
    const oom = await until(() => auditEvents(dirs.stateDir, EVENT.userOomKill)[0] ?? null, 20_000);
    expect(oom).toMatchObject({ user: USER, containerId: ID, details: { count: 3, group: "student", cgroup_parent: "/ds01/student-ds01cgd", containers: [ID] } });

    writeFileSync(join(dirs.configDir, "user-overrides.yaml"), overrides("2G"));
    expect(await until(() => (limit() === String(2 * GIB) ? true : null), 20_000)).toBe(true);
    expect(auditEvents(dirs.stateDir, EVENT.userOomKill)).toHaveLength(1);
  });
});

// Per-user aggregate limits on this machine's real cgroup v1 (cgroupfs driver), through the gate as
// non-root test users of this file's own: both containers of a user land under one cgroup parent
// that holds the aggregate limits (read back from /sys/fs/cgroup), the two together are held under
// one CPU cap (throttled) and one memory cap (an allocation beyond it is OOM-killed, and the OOM is
// detected from the parent's counters and audited), a reload changes the limits in place.
import { existsSync, readdirSync, readFileSync, rmdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { UserCgroupWatch } from "../../src/cgroups/daemon-watch.js";
import { userParent } from "../../src/cgroups/names.js";
import { parseKeyedLines } from "../../src/cgroups/usage.js";
import { cgroupParts } from "../../src/cgroups/wiring.js";
import { loadConfig } from "../../src/config/load-config.js";
import { EVENT } from "../../src/constants/event-types.js";
import { EngineClient } from "../../src/docker/engine-client.js";
import type { AuditEvent } from "../../src/model/audit-event.js";
import { silentLogger } from "../../src/util/log.js";
import { execFileWithTimeout } from "../../src/util/exec.js";
import { newRunId } from "../helpers/containers.js";
import { TEST_IMAGE } from "../helpers/docker-env.js";
import { runCli } from "../helpers/cli.js";
import { asUser, engineJson, ensureUsers, removeRunContainers, startGate, type GateProcess } from "./gate-harness.js";

const CG1 = "ds01gt-cg1"; // aggregate: 50 % of a core, 64 MiB, 200 tasks
const CG2 = "ds01gt-cg2"; // aggregate: null (none)
const runId = newRunId("gate-cgroups");
const L = `--label ds01.test.run=${runId}`;
const CGROUP = "/sys/fs/cgroup";
const MIB = 1024 ** 2;
const overrides = (memoryMax: string) =>
  `${CG1}:\n  max_containers_per_user: null\n  max_cpus: 1\n  memory: 256m\n  memory_swap: 256m\n  aggregate: { cpu_quota: "50%", memory_max: ${memoryMax}, tasks_max: 200 }\n` +
  `${CG2}:\n  max_containers_per_user: null\n  aggregate: null\n`;

let gate: GateProcess;
const parent = userParent({ driver: "cgroupfs" }, CG1, "student");
const cg = (controller: string, file: string) => readFileSync(join(CGROUP, controller, parent.dir, file), "utf8").trim();
const docker = (user: string, args: string) => asUser(user, `docker ${args}`, gate.env());
const pidOf = async (id: string) => ((await engineJson(["inspect", id])) as { State: { Pid: number } }[])[0]!.State.Pid;
const hostConfig = async (id: string) => ((await engineJson(["inspect", id])) as { HostConfig: { CgroupParent: string; NanoCpus: number } }[])[0]!.HostConfig;

/** Polls `check` until it returns a value (bounded); the bound is a safety net, not a timing assertion. */
async function until<T>(what: string, check: () => T | null | Promise<T | null>, ms = 30_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await check();
    if (v !== null) return v;
    if (Date.now() > end) throw new Error(`gave up waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

beforeAll(async () => {
  await ensureUsers([CG1, CG2]);
  gate = await startGate({ userOverrides: overrides("64m") });
}, 120_000);

afterAll(async () => {
  await removeRunContainers(runId);
  await gate?.stop(); // and this file's empty parents with it
}, 60_000);

describe("aggregate limits on cgroup v1, through the gate", () => {
  const ids: string[] = [];

  it("two containers of one user land under one parent, which holds the aggregate limits", async () => {
    for (let i = 0; i < 2; i++) {
      const r = await docker(CG1, `run -d ${L} ${TEST_IMAGE} sleep 600`);
      expect(r.code, r.stderr).toBe(0);
      ids.push(r.stdout.trim());
    }
    expect(parent.cgroupParent).toMatch(/^\/ds01\/student-ds01gt_cg1_[0-9a-f]{8}$/);
    for (const id of ids) {
      expect((await hostConfig(id)).CgroupParent).toBe(parent.cgroupParent);
      const lines = readFileSync(`/proc/${await pidOf(id)}/cgroup`, "utf8");
      expect(lines).toContain(`:memory:${parent.cgroupParent}/${id}\n`);
      expect(lines).toContain(`:cpu:${parent.cgroupParent}/${id}\n`);
      expect(lines).toContain(`:pids:${parent.cgroupParent}/${id}\n`);
    }
    expect(cg("memory", "memory.limit_in_bytes")).toBe(String(64 * MIB));
    expect(cg("cpu", "cpu.cfs_period_us")).toBe("100000");
    expect(cg("cpu", "cpu.cfs_quota_us")).toBe("50000");
    expect(cg("pids", "pids.max")).toBe("200");
    // One container may not ask for more than the whole parent: the aggregate is its CPU ceiling.
    expect((await hostConfig(ids[0]!)).NanoCpus).toBe(5e8);
    const over = await docker(CG1, `create ${L} --cpus 1 ${TEST_IMAGE} true`);
    expect(over.code).not.toBe(0);
    expect(over.stderr).toMatch(/ds01: --cpus 1 is above your limit of 0.5 \(aggregate cpu_quota\)/);
    const update = await docker(CG1, `update --cpus 1 ${ids[0]}`);
    expect(update.code).not.toBe(0);
    expect(update.stderr).toMatch(/ds01: docker update: --cpus 1 is above your limit of 0.5 \(aggregate cpu_quota\)/);
  });

  it("a user without an aggregate gets no parent; a caller's own --cgroup-parent is still refused", async () => {
    const r = await docker(CG2, `create ${L} ${TEST_IMAGE} true`);
    expect(r.code, r.stderr).toBe(0);
    expect((await hostConfig(r.stdout.trim())).CgroupParent).toBe("");
    const own = await docker(CG1, `create ${L} --cgroup-parent /elsewhere ${TEST_IMAGE} true`);
    expect(own.code).not.toBe(0);
    expect(own.stderr).toMatch(/ds01: --cgroup-parent is set by ds01/);
  });

  it("both containers busy: together they are held at the parent's CPU cap (throttled)", async () => {
    const before = Number(cg("cpuacct", "cpuacct.usage"));
    const t0 = Date.now();
    for (const id of ids) {
      const r = await docker(CG1, `exec -d ${id} timeout 6 sh -c 'while :; do :; done'`);
      expect(r.code, r.stderr).toBe(0);
    }
    const throttled = await until("the parent to be throttled", () => {
      const n = parseKeyedLines(cg("cpu", "cpu.stat")).get("nr_throttled") ?? 0;
      return n > 0 ? n : null;
    });
    expect(throttled).toBeGreaterThan(0);
    await new Promise((r) => setTimeout(r, 3000));
    const cores = (Number(cg("cpuacct", "cpuacct.usage")) - before) / 1e9 / ((Date.now() - t0) / 1000);
    console.log(`[measure] two busy containers under a 0.5-core aggregate used ${cores.toFixed(2)} cores together (throttled ${throttled}+ periods)`);
  });

  it("an allocation beyond the aggregate memory cap is OOM-killed; the OOM is found in the parent's counters and audited", async () => {
    const config = await loadConfig(gate.configDir);
    const events: AuditEvent[] = [];
    const parts = cgroupParts({ info: () => new EngineClient().request({ method: "GET", path: "/info" }), config: () => config });
    const watch = new UserCgroupWatch({ cgroups: parts.cgroups, append: (e) => events.push(e), log: silentLogger, now: () => Date.now() });
    const cgroups = (await watch.cgroups(config))!;
    expect(cgroups.setup).toEqual({ driver: "cgroupfs", version: 1 });
    const look = () => watch.measure(cgroups, config, [cgroups.parentOf(CG1, "student")], null);
    await look(); // the baseline

    // 40 MB each: either container alone is far below its own 256 MiB and the 64 MiB aggregate.
    const hold = `exec -d %ID% awk 'BEGIN { s = sprintf("%40000000s", ""); system("sleep 600") }'`;
    expect((await docker(CG1, hold.replace("%ID%", ids[0]!))).code).toBe(0);
    await until("the first 40 MB to be held", () => (Number(cg("memory", "memory.usage_in_bytes")) > 35 * MIB ? true : null));
    expect((await docker(CG1, hold.replace("%ID%", ids[1]!))).code).toBe(0);

    const oom = await until("an OOM kill in the parent", async () => {
      await look();
      return events.find((e) => e.type === EVENT.userOomKill) ?? null;
    });
    expect(oom).toMatchObject({ user: CG1, details: { group: "student", cgroup_parent: parent.cgroupParent, aggregate_memory_max: "64m" } });
    expect(oom.details.count).toBeGreaterThanOrEqual(1);
    expect(ids).toContain(oom.containerId);
    const peak = Number(cg("memory", "memory.max_usage_in_bytes"));
    console.log(`[measure] parent memory peak ${(peak / MIB).toFixed(1)} MiB under a 64 MiB aggregate; limit hit ${cg("memory", "memory.failcnt")} times; ${String(oom.details.count)} process(es) OOM-killed`);
    expect(peak).toBeLessThanOrEqual(64 * MIB);
    // Both containers are still there: the kill took the allocation, not the containers' init.
    for (const id of ids) expect(((await engineJson(["inspect", id])) as { State: { Running: boolean } }[])[0]!.State.Running).toBe(true);
  });

  it("ds01 create (as root, for the user) sets the same parent through the same admission code", async () => {
    const r = await runCli(["--config", gate.configDir, "--state-dir", gate.stateDir, "create", "--user", CG1, "--image", TEST_IMAGE, "--name", `cg-${runId}`, "--label", `ds01.test.run=${runId}`, "--json"], {
      env: { ...process.env, DS01_CONFIG_DIR: "", DS01_ALLOCATION_BROKER: "off", DS01_NVIDIA_SMI: "/nonexistent/nvidia-smi" },
      uid: 0,
      userName: "root",
    });
    expect(r.code, r.err).toBe(0);
    const hc = await hostConfig((JSON.parse(r.out) as { id: string }).id);
    expect(hc.CgroupParent).toBe(parent.cgroupParent);
    expect(hc.NanoCpus).toBe(5e8);
  });

  it("a config reload brings the parent's limits to the new aggregate", async () => {
    writeFileSync(join(gate.configDir, "user-overrides.yaml"), overrides("128m"));
    gate.child.kill("SIGHUP");
    await until("the new memory limit", () => (cg("memory", "memory.limit_in_bytes") === String(128 * MIB) ? true : null));
    expect(cg("cpu", "cpu.cfs_quota_us")).toBe("50000");
  });

  it("a parent removed while the user's containers were stopped is prepared again before a start through the gate", async () => {
    expect((await execFileWithTimeout("docker", ["stop", "-t", "0", ...ids], { timeoutMs: 60_000 })).code).toBe(0);
    for (const h of readdirSync(CGROUP)) {
      const d = join(CGROUP, h, parent.dir);
      if (existsSync(d)) rmdirSync(d); // empty now: the containers' cgroups went with them
    }
    const r = await docker(CG1, `start ${ids[0]}`);
    expect(r.code, r.stderr).toBe(0);
    expect(cg("memory", "memory.limit_in_bytes")).toBe(String(128 * MIB));
    expect(cg("cpu", "cpu.cfs_quota_us")).toBe("50000");
    expect(readFileSync(`/proc/${await pidOf(ids[0]!)}/cgroup`, "utf8")).toContain(`:memory:${parent.cgroupParent}/${ids[0]}\n`);
  });
});

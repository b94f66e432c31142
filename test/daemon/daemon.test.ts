// The real daemon as a child process (`node bin/ds01.js daemon`) against the real Docker engine and
// the nvidia-smi stand-in, with 1 s samples and 2 s passes: metrics, instant exit accounting, hot
// reload, the lock, and a clean SIGTERM.
import { existsSync } from "node:fs";
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { METRIC } from "../../src/constants/metrics.js";
import { execFileWithTimeout } from "../../src/util/exec.js";
import { useTestContainers } from "../helpers/containers.js";
import { fullGpus, gpuUuid as fakeGpuUuid, writeFakeGpuState, type FakeGpus } from "../helpers/fake-gpus.js";
import { childOutput, auditEvents, daemonDirs, ensureBuilt, healthz, scrape, spawnDs01, startDaemon, until, type DaemonChild, type DaemonDirs } from "./daemon-process.js";

const tc = useTestContainers("daemon");
let dirs: DaemonDirs;
let gpus: FakeGpus;
let d: DaemonChild;
// alice's GPU container, there from the start: every test may run alone (`-t`), on this state.
let c: Awaited<ReturnType<typeof tc.create>>;

// GPUs of this file's own: the broker sees every container on the shared engine, other test
// files' too, and those hold the stand-in's usual UUIDs.
const gpuUuid = (n: number) => fakeGpuUuid(n, "a0704444");
const slot = (uuid: string) => `${METRIC.gpuSlotAllocated}{gpu_uuid="${uuid}",slot_uuid="${uuid}",profile="full"}`;

const output = (child: ReturnType<typeof spawnDs01>) => childOutput(child, 30_000);

beforeAll(async () => {
  await ensureBuilt();
  gpus = await writeFakeGpuState({ gpus: fullGpus(2).map((g, i) => ({ ...g, uuid: gpuUuid(i) })) });
  dirs = await daemonDirs();
  c = await tc.create({ labels: { "ds01.user": "alice" }, gpus: [gpuUuid(0)] });
  d = await startDaemon({ ...dirs, env: gpus.env, runId: tc.runId });
}, 200_000);

afterAll(async () => {
  await d?.stop("SIGKILL");
});

describe("ds01 daemon (child process, real Docker, nvidia-smi stand-in)", () => {
  it("exports metrics that follow the fleet, and accounts a killed GPU container's GPU free at once", async () => {
    const first = await until(async () => {
      const m = await scrape(d.url);
      return m.get(METRIC.gpuEquivalentsAllocated) === 1 && (m.get(METRIC.lastSuccessfulPass) ?? 0) > 0 && m.get(METRIC.dockerUp) === 1 ? m : null;
    }, 15_000);
    expect(first, JSON.stringify(d.lines.slice(-20))).not.toBeNull();
    expect(first!.get(METRIC.gpuEquivalentsTotal)).toBe(2);
    expect(first!.get(`${METRIC.gpuSlotsTotal}{kind="full"}`)).toBe(2);
    expect(first!.get(slot(gpuUuid(0)))).toBe(1);
    expect(first!.get(slot(gpuUuid(1)))).toBe(0);
    expect(first!.get(`${METRIC.containers}{state="running",type="docker",owner="alice"}`)).toBe(1);
    expect(first!.get(`${METRIC.userGpuEquivalents}{user="alice"}`)).toBe(1);
    expect(first!.get(`${METRIC.containerIdleStreak}{container="${c.name}",owner="alice"}`)).toBeGreaterThanOrEqual(0);
    expect(first!.get(METRIC.passInterval)).toBe(2);
    expect(first!.get(METRIC.dockerUp)).toBe(1);
    expect(first!.get(`${METRIC.passDuration}_count`)).toBeGreaterThanOrEqual(1);
    expect((await healthz(d.url)).status).toBe(200);

    // Utilisation follows the 1 s sample.
    await gpus.update((s) => void (s.gpus[1]!.util = 77));
    const util = await until(async () => (await scrape(d.url)).get(`${METRIC.gpuUtilization}{gpu_uuid="${gpuUuid(1)}",index="1"}`) === 77, 10_000);
    expect(util).toBe(true);

    // docker kill → audited and free without waiting for a pass.
    const t0 = Date.now();
    const kill = await execFileWithTimeout("docker", ["kill", c.id], { timeoutMs: 20_000 });
    expect(kill.code).toBe(0);
    const freed = await until(async () => {
      const m = await scrape(d.url);
      return m.get(METRIC.gpuEquivalentsAllocated) === 0 && m.get(slot(gpuUuid(0))) === 0 ? Date.now() : null;
    }, 10_000, 20);
    expect(freed, JSON.stringify(d.lines.slice(-20))).not.toBeNull();
    const exited = auditEvents(dirs.stateDir, "container.exited").filter((e) => e.containerId === c.id);
    const released = auditEvents(dirs.stateDir, "gpu.release").filter((e) => e.containerId === c.id);
    expect(exited).toHaveLength(1);
    expect(exited[0]!.details).toMatchObject({ gpus: [gpuUuid(0)], detected_by: "event" });
    expect(released.map((e) => e.details.gpu_uuid)).toEqual([gpuUuid(0)]);
    const internal = released[0]!.time - (exited[0]!.details.docker_time as number);
    console.log(`[daemon] docker kill → GPU free in /metrics: ${freed! - t0} ms after the kill command started; gpu.release recorded ${internal} ms after Docker's die event`);

    // `ds01 events --json` shows the same, beside the running daemon.
    const ev = await output(spawnDs01({ ...dirs, runId: tc.runId }, ["events", "--json", "--type", "gpu.release"]));
    expect(ev.code, ev.err).toBe(0);
    expect((JSON.parse(ev.out) as { events: { container_id: string; details: { gpu_uuid: string } }[] }).events.filter((e) => e.container_id === c.id).map((e) => e.details.gpu_uuid)).toEqual([gpuUuid(0)]);

    // The follow-up pass still sees the exited container (no second exit record) and keeps it free.
    const passes = d.lines.filter((l) => l.msg === "pass finished").length;
    expect(await d.waitForLog((l) => l.msg === "pass finished", 10_000, d.lines.length)).not.toBeNull();
    expect(d.lines.filter((l) => l.msg === "pass finished").length).toBeGreaterThan(passes);
    expect((await scrape(d.url)).get(`${METRIC.containers}{state="exited",type="docker",owner="alice"}`)).toBe(1);
    expect(auditEvents(dirs.stateDir, "container.exited").filter((e) => e.containerId === c.id)).toHaveLength(1);
  });

  it("keeps the last good config on a broken edit (audited with FILE:LINE:COL) and applies a good one", async () => {
    const file = join(dirs.configDir, "resource-limits.yaml");
    const good = await readFile(file, "utf8");
    await writeFile(file, good.replace("pass_interval_s: 2", "pass_interval_s: [2"));
    const failed = await until(() => auditEvents(dirs.stateDir, "config.reload_failed")[0], 10_000);
    expect(failed).toBeDefined();
    expect((failed!.details.problems as string[]).join("\n")).toMatch(new RegExp(`^${file.replace(/[.]/g, "\\.")}:\\d+:\\d+: `, "m"));
    const m = await scrape(d.url);
    expect(m.get(`${METRIC.configReloadsTotal}{result="failed"}`)).toBe(1);
    expect(m.get(METRIC.passInterval)).toBe(2);
    const h = await healthz(d.url);
    expect(h.status).toBe(200);
    expect(h.body.warnings.join()).toMatch(/config reload failed/);
    // Passes go on with the last good config.
    const from = d.lines.length;
    expect(await d.waitForLog((l) => l.msg === "pass finished", 10_000, from)).not.toBeNull();
    expect(d.lines.slice(from).some((l) => l.msg === "config reload failed")).toBe(false); // reported once

    await writeFile(file, good.replace("pass_interval_s: 2", "pass_interval_s: 3"));
    const reloaded = await until(() => auditEvents(dirs.stateDir, "config.reloaded")[0], 10_000);
    expect(reloaded?.details).toMatchObject({ pass_interval_s: 3 });
    const after = await scrape(d.url);
    expect(after.get(METRIC.passInterval)).toBe(3);
    expect(after.get(`${METRIC.configReloadsTotal}{result="ok"}`)).toBe(1);
    expect((await healthz(d.url)).body.warnings).toEqual([]);
  });

  it("refuses a second daemon and a `ds01 gpu health` on the same state dir, naming the holder; `ds01 check` is run by it", async () => {
    const second = await output(spawnDs01({ ...dirs, runId: tc.runId }, ["daemon", "--listen", "127.0.0.1:0"]));
    expect(second.code).toBe(1);
    expect(second.err).toMatch(new RegExp(`held by ds01 daemon \\(pid ${d.pid}\\)`));
    const health = await output(spawnDs01({ ...dirs, runId: tc.runId, env: gpus.env }, ["gpu", "health"]));
    expect(health.code).toBe(1);
    expect(health.err).toMatch(new RegExp(`ds01 daemon, pid ${d.pid}`));
    const check = await output(spawnDs01({ ...dirs, runId: tc.runId, env: gpus.env }, ["check"]));
    expect(check.out).toMatch(/^\(run by the ds01 daemon\)/);
  });

  it("answers `ds01 gpu allocate` through its allocation broker, from its own view of Docker", async () => {
    expect(await until(() => existsSync(join(dirs.stateDir, "allocation.sock")), 15_000)).toBe(true);
    const a = await output(spawnDs01({ ...dirs, runId: tc.runId, env: gpus.env }, ["gpu", "allocate", "--user", "bob", "--container", "b1", "--json"]));
    expect(a.code, a.err).toBe(0);
    // alice's container (running, or exited and within its GPU hold) holds GPU 0: bob gets GPU 1.
    expect((JSON.parse(a.out) as { uuids: string[] }).uuids).toEqual([gpuUuid(1)]);
    const allocated = auditEvents(dirs.stateDir, "gpu.allocate").filter((e) => e.container === "b1");
    expect(allocated.map((e) => e.details.decided_from)).toEqual(["daemon"]);
    expect(existsSync(join(dirs.stateDir, "allocation.sock"))).toBe(true);
  });

  it("exits 0 on SIGTERM within 10 s, recording the stop", async () => {
    const t0 = Date.now();
    const r = await d.stop("SIGTERM");
    const took = Date.now() - t0;
    console.log(`[daemon] SIGTERM → exit in ${took} ms`);
    expect(r).toEqual({ code: 0, signal: null });
    expect(took).toBeLessThan(10_000);
    expect(d.lines.some((l) => l.msg === "daemon stopped")).toBe(true);
    expect(auditEvents(dirs.stateDir, "daemon.stopped").at(-1)?.details).toMatchObject({ reason: "SIGTERM" });
    // The lock went with it: a one-shot check may run now.
    const check = await output(spawnDs01({ ...dirs, runId: tc.runId, env: gpus.env }, ["check", "--json"]));
    expect(check.code, check.err).toBe(0);
    // And the broker's socket: allocation decides from a listing of its own (granted or refused,
    // depending on whether the allocate test ran before).
    expect(existsSync(join(dirs.stateDir, "allocation.sock"))).toBe(false);
    const carol = await output(spawnDs01({ ...dirs, runId: tc.runId, env: gpus.env }, ["gpu", "allocate", "--user", "carol", "--container", "c1"]));
    expect(carol.code, carol.out).toBeLessThanOrEqual(1);
    const decided = [...auditEvents(dirs.stateDir, "gpu.allocate"), ...auditEvents(dirs.stateDir, "gpu.reject")].filter((e) => e.container === "c1");
    expect(decided.map((e) => e.details.decided_from)).toEqual(["listing"]);
  });

  it("`daemon --once` runs one pass and exits 0", async () => {
    const own = await daemonDirs(); // not the daemon's above, which may still hold its lock
    const r = await output(spawnDs01({ ...own, runId: tc.runId, env: { ...gpus.env, DS01_LOG_LEVEL: "info" } }, ["daemon", "--once", "--listen", "127.0.0.1:0"]));
    expect(r.code, r.err).toBe(0);
    const msgs = r.err.split("\n").filter(Boolean).map((l) => (JSON.parse(l) as { msg: string }).msg);
    expect(msgs).toEqual(expect.arrayContaining(["listening", "pass finished", "daemon stopped"]));
  });
});

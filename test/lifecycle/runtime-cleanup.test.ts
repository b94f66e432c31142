// Max runtime, per-type SIGTERM grace, stale cleanup and infrastructure protection on real containers.
import { describe, expect, it } from "vitest";
import { execFileWithTimeout } from "../../src/util/exec.js";
import { useTestContainers } from "../helpers/containers.js";
import { fullGpus, gpuUuid } from "../helpers/fake-gpus.js";
import { actionsFor, lifecycleEnv, MIN } from "../helpers/lifecycle-env.js";

const tc = useTestContainers("lc-rt");
const HOUR = 60 * MIN;
const busyGpus = () => fullGpus(4, { util: 85 });

async function inspect(id: string): Promise<{ Running: boolean; ExitCode: number } | null> {
  const r = await execFileWithTimeout("docker", ["inspect", "-f", "{{json .State}}", id], { timeoutMs: 10_000 });
  return r.code === 0 ? JSON.parse(r.stdout.toString()) : null;
}

/** Exits 0 on SIGTERM after `s` seconds of "saving a checkpoint". */
const trapping = (s: number) => `trap 'sleep ${s}; exit 0' TERM; while true; do sleep 1; done`;

describe("max runtime", () => {
  it("warns at 75 %, final-warns at 90 %, then stops with each type's SIGTERM grace, without removing", async () => {
    const env = await lifecycleEnv({ runId: tc.runId, gpus: busyGpus() });
    // docker type: grace 2 s, so a 4 s checkpoint is cut short (137); compose: grace 8 s, so it completes (0).
    const plain = await tc.create({ labels: { "ds01.user": "alice" }, gpus: [gpuUuid(0)], cmd: trapping(4) });
    const compose = await tc.create({ labels: { "ds01.user": "alice", "com.docker.compose.project": "p" }, gpus: [gpuUuid(1)], cmd: trapping(4) });
    const seen = new Map<string, string[]>();
    for (const advance of [0, 7.6 * HOUR, 1.5 * HOUR, 1 * HOUR]) {
      env.advance(advance);
      const { report } = await env.check();
      for (const c of [plain, compose]) seen.set(c.id, [...(seen.get(c.id) ?? []), ...actionsFor(report, c.id)]);
    }
    for (const c of [plain, compose]) expect(seen.get(c.id)).toEqual(["warn:max_runtime", "final_warn:max_runtime", "stop:max_runtime"]);
    expect(await inspect(plain.id)).toMatchObject({ Running: false, ExitCode: 137 });
    expect(await inspect(compose.id)).toMatchObject({ Running: false, ExitCode: 0 });
    const stops = env.events("container.runtime_stop");
    expect(stops.map((e) => e.details.grace_s).sort()).toEqual([2, 8]);
  });

  it("keeps counting across docker restart and skips exempt users (audited once)", async () => {
    const env = await lifecycleEnv({ runId: tc.runId, gpus: busyGpus() });
    const c = await tc.create({ labels: { "ds01.user": "alice" }, gpus: [gpuUuid(0)] });
    const exempt = await tc.create({ labels: { "ds01.user": "carol" }, gpus: [gpuUuid(1)] });
    env.advance(7.6 * HOUR);
    expect(actionsFor((await env.check()).report, c.id)).toEqual(["warn:max_runtime"]);
    await execFileWithTimeout("docker", ["restart", "-t", "1", c.id], { timeoutMs: 30_000 });
    env.advance(1.5 * HOUR);
    expect(actionsFor((await env.check()).report, c.id)).toEqual(["final_warn:max_runtime"]);
    env.advance(1 * HOUR);
    const last = (await env.check()).report;
    expect(actionsFor(last, c.id)).toEqual(["stop:max_runtime"]);
    expect(actionsFor(last, exempt.id)).toEqual([]);
    expect(env.events("container.runtime_exempt").filter((e) => e.containerId === exempt.id)).toHaveLength(1);
    expect((await inspect(exempt.id))?.Running).toBe(true);
  });
});

describe("stale cleanup and protection", () => {
  it("removes created and exited containers at the right time, and never touches protected or monitoring ones", async () => {
    const env = await lifecycleEnv({ runId: tc.runId });
    const created = await tc.create({ labels: { "ds01.user": "alice" }, state: "created" });
    const exitedGpu = await tc.create({ labels: { "ds01.user": "alice" }, gpus: [gpuUuid(2)], state: "exited" });
    const exitedCpu = await tc.create({ labels: { "ds01.user": "alice" }, state: "exited" });
    const unknownOwner = await tc.create({ state: "exited" });
    const protectedC = await tc.create({ labels: { "ds01.user": "alice", "ds01.protected": "true" }, gpus: [gpuUuid(0)] });
    const monitoring = await tc.create({ labels: { "ds01.monitoring": "true" }, state: "exited" });
    const infraByName = await tc.create({ name: `ds01-grafana-${tc.runId}`, state: "exited" });

    env.advance(14 * MIN);
    expect((await env.check()).report.actions).toEqual([]);
    env.advance(2 * MIN); // 16 min: past the 15 min GPU hold (and the strictest hold for the unknown owner)
    const r16 = (await env.check()).report;
    expect(actionsFor(r16, exitedGpu.id)).toEqual(["remove:gpu_hold", "release_gpu:gpu_hold"]);
    expect(actionsFor(r16, unknownOwner.id)).toEqual(["remove:exited_hold"]);
    expect(actionsFor(r16, exitedCpu.id)).toEqual([]);
    expect(actionsFor(r16, created.id)).toEqual([]);
    env.advance(15 * MIN); // 31 min
    const r31 = (await env.check()).report;
    expect(actionsFor(r31, created.id)).toEqual(["remove:created_timeout"]);
    expect(actionsFor(r31, exitedCpu.id)).toEqual(["remove:exited_hold"]);
    for (let i = 0; i < 4; i++) {
      env.advance(10 * HOUR);
      const r = (await env.check()).report;
      for (const c of [protectedC, monitoring, infraByName]) expect(actionsFor(r, c.id)).toEqual([]);
    }
    for (const c of [created, exitedGpu, exitedCpu, unknownOwner]) expect(await inspect(c.id)).toBeNull();
    expect((await inspect(protectedC.id))?.Running).toBe(true);
    expect(await inspect(monitoring.id)).not.toBeNull();
    expect(await inspect(infraByName.id)).not.toBeNull();
  });
});

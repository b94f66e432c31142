// GPU release and health, done safely, with real processes: a host process and a
// process inside a real container, both reported on GPUs by the nvidia-smi stand-in.
import { spawn, type ChildProcess } from "node:child_process";
import { afterAll, describe, expect, it } from "vitest";
import { existsSync, readFileSync } from "node:fs";
import { useTestContainers } from "../helpers/containers.js";
import { fullGpus, gpuUuid, h100Mig1g } from "../helpers/fake-gpus.js";
import { actionsFor, lifecycleEnv, MIN } from "../helpers/lifecycle-env.js";

const tc = useTestContainers("lc-health");
const strays: ChildProcess[] = [];
afterAll(() => strays.forEach((p) => p.kill("SIGKILL")));

/** A host process (not in any container) that a dead container "left behind" on a GPU. */
function hostProcess(): number {
  const p = spawn("sleep", ["300"], { stdio: "ignore" });
  strays.push(p);
  return p.pid!;
}

/** Running (a killed child may linger as a zombie until reaped: that counts as ended). */
function alive(pid: number): boolean {
  try {
    return readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]?.[0] !== "Z";
  } catch {
    return false;
  }
}

describe("GPU release and health", () => {
  it("after a release, ends an orphan host process but never a process of a running container, and does not reset a shared GPU", async () => {
    const orphan = hostProcess();
    const sharer = await tc.create({ labels: { "ds01.user": "dave" }, gpus: [gpuUuid(0)] });
    const gone = await tc.create({ labels: { "ds01.user": "alice" }, gpus: [gpuUuid(0)], state: "exited" });
    const env = await lifecycleEnv({ runId: tc.runId, gpus: fullGpus(4, { util: 85 }) });
    await env.gpus.update((s) => {
      s.drop_dead_processes = true;
      s.gpus[0]!.processes = [{ pid: orphan, name: "sleep" }, { pid: sharer.pid!, name: "sleep" }];
    });
    env.advance(16 * MIN); // past alice's 15 min GPU hold
    const { report } = await env.check();
    expect(actionsFor(report, gone.id)).toEqual(["remove:gpu_hold", "release_gpu:gpu_hold"]);
    const health = report.actions.filter((a) => a.reason === "orphan_process" || a.reason === "gpu_health");
    expect(health.map((a) => [a.kind, a.pid ?? a.gpu_uuid, a.executed])).toEqual([
      ["kill_process", orphan, true],
      ["alert", gpuUuid(0), true],
    ]);
    expect(alive(orphan)).toBe(false);
    expect(existsSync(`/proc/${sharer.pid}`)).toBe(true);
    expect((await env.gpus.read()).reset_attempts ?? []).toEqual([]);
    expect(env.events("gpu.orphan_killed").map((e) => e.details.pid)).toEqual([orphan]);
  });

  it("`ds01 gpu health` resets a whole idle GPU after ending its orphan, but never a MIG GPU", async () => {
    const onFull = hostProcess();
    const onMig = hostProcess();
    const env = await lifecycleEnv({ runId: tc.runId, gpus: [...fullGpus(3), h100Mig1g(7, 3)] });
    await env.gpus.update((s) => {
      s.drop_dead_processes = true;
      s.gpus[2]!.processes = [{ pid: onFull, name: "sleep" }];
      s.gpus[3]!.processes = [{ pid: onMig, name: "sleep", gi: 7, ci: 0 }];
    });
    const dry = await env.ds01(["gpu", "health", "--dry-run", "--json"]);
    expect(dry.code).toBe(0);
    expect(alive(onFull)).toBe(true);
    const r = await env.ds01(["gpu", "health", "--json"]);
    const actions = (r.json as { actions: { kind: string; pid: number | null; gpu_uuid: string; executed: boolean }[] }).actions;
    expect(actions.map((a) => [a.kind, a.pid ?? a.gpu_uuid, a.executed])).toEqual([
      ["kill_process", onFull, true],
      ["reset_gpu", gpuUuid(2), true],
      ["kill_process", onMig, true],
      ["alert", gpuUuid(3, "11111111"), true],
    ]);
    expect(alive(onFull) || alive(onMig)).toBe(false);
    const state = await env.gpus.read();
    expect(state.resets?.map((x) => x.uuid)).toEqual([gpuUuid(2)]);
    expect(state.reset_attempts?.map((x) => x.uuid)).toEqual([gpuUuid(2)]);
  });
});

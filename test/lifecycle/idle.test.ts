// Seed truths of idle enforcement, on the real Docker engine with the nvidia-smi stand-in.
import { describe, expect, it } from "vitest";
import { execFileWithTimeout } from "../../src/util/exec.js";
import { useTestContainers } from "../helpers/containers.js";
import { gpuUuid } from "../helpers/fake-gpus.js";
import { actionsFor, LIFECYCLE_CONFIG, lifecycleEnv, MIN } from "../helpers/lifecycle-env.js";

const tc = useTestContainers("lc-idle");

async function exists(id: string): Promise<boolean> {
  const r = await execFileWithTimeout("docker", ["inspect", id], { timeoutMs: 10_000 });
  return r.code === 0;
}

async function readAlerts(id: string): Promise<string> {
  const r = await execFileWithTimeout("docker", ["exec", id, "cat", "/workspace/.ds01-alerts"], { timeoutMs: 10_000 });
  return r.stdout.toString();
}

describe("idle enforcement on real containers", () => {
  it("warns, final-warns, then stops and removes an idle GPU container, and frees its GPU", async () => {
    const env = await lifecycleEnv({ runId: tc.runId });
    const c = await tc.create({ labels: { "ds01.user": "alice" }, gpus: [gpuUuid(0)] });
    const steps: string[][] = [];
    for (const advance of [0, 10, 40, 8, 7]) {
      env.advance(advance * MIN);
      const { report } = await env.check();
      steps.push(actionsFor(report, c.id));
    }
    expect(steps).toEqual([[], [], ["warn:idle"], ["final_warn:idle"], ["stop:idle", "remove:idle", "release_gpu:idle"]]);
    expect(await exists(c.id)).toBe(false);
    const types = env.events().filter((e) => e.containerId === c.id).map((e) => e.type);
    const warning = env.events("container.idle_warning").find((e) => e.containerId === c.id);
    expect(warning?.details.delivered).toBe(1); // to the in-container alert file (no terminal here)
    expect(types).toEqual(expect.arrayContaining(["container.idle_warning", "container.idle_final_warning", "container.idle_stop", "container.remove", "gpu.release"]));
  });

  it.each([
    ["a CPU-busy container with an idle GPU", "yes > /dev/null", 0],
    ["a GPU-busy container with an idle CPU", "sleep 3600", 85],
  ])("keeps %s", async (_l, cmd, util) => {
    const env = await lifecycleEnv({ runId: tc.runId });
    await env.gpus.update((s) => void (s.gpus[1]!.util = util));
    const c = await tc.create({ labels: { "ds01.user": "alice" }, gpus: [gpuUuid(1)], cmd });
    const seen: string[] = [];
    for (const advance of [0, 1, 30, 30, 30]) {
      env.advance(advance * MIN);
      await new Promise((r) => setTimeout(r, 300)); // a real interval for the CPU counter
      const { report } = await env.check();
      seen.push(...actionsFor(report, c.id));
    }
    expect(seen).toEqual([]);
    expect(await exists(c.id)).toBe(true);
  });

  it("respects the startup grace, keeps devcontainers, and only notifies exempt users", async () => {
    const env = await lifecycleEnv({ runId: tc.runId });
    const young = await tc.create({ labels: { "ds01.user": "gina" }, gpus: [gpuUuid(0)] }); // grace 600 min
    const dev = await tc.create({ labels: { "ds01.user": "alice", "devcontainer.local_folder": "/home/alice/proj" }, gpus: [gpuUuid(1)] });
    const exempt = await tc.create({ labels: { "ds01.user": "bob" }, gpus: [gpuUuid(2)] });
    const seen = new Map<string, string[]>();
    let last = null as Awaited<ReturnType<typeof env.check>>["report"] | null;
    for (const advance of [0, 10, 40, 10, 10, 10]) {
      env.advance(advance * MIN);
      last = (await env.check()).report;
      for (const c of [young, dev, exempt]) seen.set(c.id, [...(seen.get(c.id) ?? []), ...actionsFor(last, c.id)]);
    }
    expect(seen.get(young.id)).toEqual([]);
    expect(seen.get(dev.id)).toEqual([]);
    expect(seen.get(exempt.id)).toEqual(["notice:idle"]);
    const why = new Map(last!.skipped.map((s) => [s.container_id, s.why]));
    expect(why.get(young.id)).toBe("grace");
    expect(why.get(dev.id)).toBe("devcontainer");
    expect(why.get(exempt.id)).toBe("exempt");
    expect(await readAlerts(exempt.id)).toMatch(/FYI only/);
    for (const c of [young, dev, exempt]) expect(await exists(c.id)).toBe(true);
  });

  it("honours a fresh keep-alive file and ignores an expired one", async () => {
    const env = await lifecycleEnv({ runId: tc.runId });
    const fresh = await tc.create({ labels: { "ds01.user": "alice" }, gpus: [gpuUuid(0)], cmd: "mkdir -p /workspace && touch /workspace/.keep-alive && sleep 3600" });
    const stale = await tc.create({ labels: { "ds01.user": "alice" }, gpus: [gpuUuid(1)], cmd: "mkdir -p /workspace && touch -d '2020-01-01 00:00:00' /workspace/.keep-alive && sleep 3600" });
    const seen = new Map<string, string[]>();
    for (const advance of [0, 10, 40, 8, 7, 5]) {
      env.advance(advance * MIN);
      const { report } = await env.check();
      for (const c of [fresh, stale]) seen.set(c.id, [...(seen.get(c.id) ?? []), ...actionsFor(report, c.id)]);
    }
    expect(seen.get(fresh.id)).toEqual(["warn:idle", "final_warn:idle"]);
    expect(await exists(fresh.id)).toBe(true);
    expect(seen.get(stale.id)).toEqual(["warn:idle", "final_warn:idle", "stop:idle", "remove:idle", "release_gpu:idle"]);
    const stop = env.events("container.idle_stop").find((e) => e.containerId === stale.id);
    expect(JSON.stringify(stop?.details)).toMatch(/ignored/);
  });

  it("reads the keep-alive file at the path the owner's group configures", async () => {
    const config = LIFECYCLE_CONFIG.replace("groups:\n  student: {}\n", "groups:\n  student: {}\n  stayers:\n    members: [sam]\n    policies:\n      keepalive_file: /workspace/.stay\n");
    expect(config).toContain("keepalive_file: /workspace/.stay");
    const env = await lifecycleEnv({ runId: tc.runId, config });
    const own = await tc.create({ labels: { "ds01.user": "sam" }, gpus: [gpuUuid(0)], cmd: "mkdir -p /workspace && touch /workspace/.stay && sleep 3600" });
    const other = await tc.create({ labels: { "ds01.user": "sam" }, gpus: [gpuUuid(1)], cmd: "mkdir -p /workspace && touch /workspace/.keep-alive && sleep 3600" });
    const seen = new Map<string, string[]>();
    for (const advance of [0, 10, 40, 8, 7, 5]) {
      env.advance(advance * MIN);
      const { report } = await env.check();
      for (const c of [own, other]) seen.set(c.id, [...(seen.get(c.id) ?? []), ...actionsFor(report, c.id)]);
    }
    expect(seen.get(own.id)).toEqual(["warn:idle", "final_warn:idle"]);
    expect(await exists(own.id)).toBe(true);
    expect(seen.get(other.id)).toContain("stop:idle");
    expect(await readAlerts(own.id)).toContain("touch /workspace/.stay");
  });
});

// ds01 check --dry-run, explain and keepalive on real containers.
import { describe, expect, it } from "vitest";
import { execFileWithTimeout } from "../../src/util/exec.js";
import { useTestContainers } from "../helpers/containers.js";
import { gpuUuid } from "../helpers/fake-gpus.js";
import { actionsFor, lifecycleEnv, MIN } from "../helpers/lifecycle-env.js";

const tc = useTestContainers("lc-cmd");

describe("check --dry-run", () => {
  it("prints the plan and changes nothing: no events, no records, the container stays", async () => {
    const env = await lifecycleEnv({ runId: tc.runId });
    const c = await tc.create({ labels: { "ds01.user": "alice" }, state: "created" });
    env.advance(40 * MIN);
    const { code, report } = await env.check(["--dry-run"]);
    expect(code).toBe(0);
    expect(report.actions.filter((a) => a.container_id === c.id).map((a) => [a.kind, a.reason, a.executed])).toEqual([["remove", "created_timeout", false]]);
    expect(env.events()).toEqual([]);
    const r = await execFileWithTimeout("docker", ["inspect", c.id], { timeoutMs: 10_000 });
    expect(r.code).toBe(0);
  });
});

describe("explain", () => {
  it("gives the policy, each signal against its threshold, the streak and the next step", async () => {
    const env = await lifecycleEnv({ runId: tc.runId });
    const c = await tc.create({ labels: { "ds01.user": "alice" }, gpus: [gpuUuid(3)] });
    await env.check();
    env.advance(10 * MIN);
    await env.check();
    const r = await env.ds01(["explain", c.name, "--json"]);
    expect(r.code).toBe(0);
    const j = r.json as { idle_streak: number; idle_since: string; next: { at: string } };
    expect(j).toMatchObject({
      container: c.name,
      owner: "alice",
      type: "docker",
      group: "student",
      policy: { idle_timeout_s: 3600, max_runtime_s: 36000, sigterm_grace_s: 2 },
      window: 2,
      signals: { gpu: { status: "idle", value: 0, threshold: 5 } },
      next: { kind: "warn", reason: "idle" },
    });
    expect(j.idle_streak).toBeGreaterThanOrEqual(2);
    expect(Date.parse(j.next.at) - Date.parse(j.idle_since)).toBe(0.8 * 3600 * 1000);
    expect((await env.ds01(["explain", c.name])).out).toMatch(/idle streak \d of 2 observations/);
    expect((await env.ds01(["explain", "no-such-container"])).code).toBe(2);
  });
});

describe("keepalive", () => {
  it("postpones the idle stop until the chosen time, capped by keepalive_max_duration_h", async () => {
    const env = await lifecycleEnv({ runId: tc.runId });
    const c = await tc.create({ labels: { "ds01.user": "alice" }, gpus: [gpuUuid(2)] });
    const r = await env.ds01(["keepalive", c.name, "--for", "100h", "--json"]);
    expect(r.code).toBe(0);
    expect(r.json).toMatchObject({ capped: true, file_written: true });
    const seen: string[] = [];
    for (const advance of [0, 10, 40, 8, 7, 5]) {
      env.advance(advance * MIN);
      seen.push(...actionsFor((await env.check()).report, c.id));
    }
    expect(seen).toEqual(["warn:idle", "final_warn:idle"]); // warned, but not stopped
    expect(env.events("container.keepalive_set")).toHaveLength(1);
    const after = (await env.check()).report.skipped.find((s) => s.container_id === c.id);
    expect(after?.why).toBe("keepalive");
  });
});

describe("a container without a GPU under idle_applies_to: gpu", () => {
  it("explain says the timeouts do not apply; keepalive promises nothing and writes nothing", async () => {
    const env = await lifecycleEnv({ runId: tc.runId });
    const c = await tc.create({ labels: { "ds01.user": "alice" } });
    const r = await env.ds01(["explain", c.name, "--json"]);
    expect(r.code).toBe(0);
    expect(r.json).toMatchObject({ applies: { idle: false, max_runtime: false }, next: null });
    const text = (await env.ds01(["explain", c.name])).out;
    expect(text).toContain("idle timeout 1h (not applied: it holds no GPU and idle_applies_to is gpu)");
    const k = await env.ds01(["keepalive", c.name, "--json"]);
    expect(k.code).toBe(0);
    expect(k.json).toMatchObject({ until: null, file_written: false, idle_applies: false });
    expect((await env.ds01(["keepalive", c.name])).out).toMatch(/holds no GPU and idle_applies_to is gpu: ds01 does not stop it for idleness/);
    expect(env.events("container.keepalive_set")).toHaveLength(0);
  });
});

import { describe, expect, it } from "vitest";
import type { ContainerRecord } from "../model/record.js";
import { container, gpu, gpuUuid, HOUR, inventory, MIN, migGpu, migUuid, policy, policyView, proc, snapshot, T0 } from "../../test/helpers/fleet.js";
import { simulate } from "../../test/helpers/simulate.js";
import { plan } from "./plan.js";
import { gpuOf, pidOf } from "./action-target.js";
import type { Plan, PlannedAction, PolicyView, Snapshot } from "./plan-types.js";

/** Runs passes at the given times, carrying records forward and applying every action's marks. */
function runPasses(times: number[], build: (now: number) => Snapshot, view: PolicyView = policyView()): Plan[] {
  return simulate({ passes: times.length, timeOf: (i) => times[i]!, snapshotAt: (now) => ({ ...build(now), now }), policies: view });
}

/** What the owner is told, for the kinds that tell anyone anything. */
const bodyOf = (a: PlannedAction | undefined) => (a && "notice" in a ? a.notice.body : undefined);
const kinds = (p: Plan) => p.actions.map((a) => `${a.kind}:${a.reason}`);
const every5m = (n: number, start = T0) => Array.from({ length: n }, (_, i) => start + i * 5 * MIN);

describe("idle enforcement", () => {
  const idleBox = container({ name: "idle-box", startedAt: T0 - 2 * HOUR });

  it("warns, final-warns at a later check, then stops, removes and releases the GPU", () => {
    const plans = runPasses(every5m(12), () => snapshot({ containers: [idleBox] }));
    const seq = plans.map(kinds).filter((k) => k.length);
    expect(seq[0]).toEqual(["warn:idle"]);
    expect(seq[1]).toEqual(["final_warn:idle"]);
    expect(seq[2]).toEqual(["stop:idle", "remove:idle", "release_gpu:idle"]);
    const stopPass = plans.findIndex((p) => p.actions.some((a) => a.kind === "stop"));
    const warnPass = plans.findIndex((p) => p.actions.some((a) => a.kind === "warn"));
    const finalPass = plans.findIndex((p) => p.actions.some((a) => a.kind === "final_warn"));
    expect(warnPass).toBeLessThan(finalPass);
    expect(finalPass).toBeLessThan(stopPass);
    // 30 min timeout from the first idle observation, window 3 → stop no earlier than 30 min after it.
    expect(plans[stopPass]!.now - T0).toBeGreaterThanOrEqual(30 * MIN);
    const stop = plans[stopPass]!.actions.find((a) => a.kind === "stop")!;
    expect(stop.graceS).toBe(60);
    expect(stop.notice?.body).toMatch(/GPU 0 \(idle below 5%\)|GPU 0%/);
  });

  it("needs idle_detection_window consecutive idle observations before counting", () => {
    const plans = runPasses([T0, T0 + 5 * MIN], () => snapshot({ containers: [idleBox] }));
    expect(plans.flatMap((p) => p.actions)).toEqual([]);
    expect(plans[1]!.records[0]!.idleStreak).toBe(2);
  });

  it.each([
    ["CPU-busy container with an idle GPU", { cpuPct: 90, netBytesPerS: 0 }, 0],
    ["GPU-busy container with idle CPU", { cpuPct: 0, netBytesPerS: 0 }, 80],
    ["network-busy container", { cpuPct: 0, netBytesPerS: 50_000_000 }, 0],
  ])("keeps a %s", (_label, activity, util) => {
    const c = container({ startedAt: T0 - 2 * HOUR });
    const plans = runPasses(every5m(20), () =>
      snapshot({ containers: [c], activity: new Map([[c.id, activity]]), gpus: inventory([gpu(0, { utilizationPct: util })]) }),
    );
    expect(plans.flatMap((p) => p.actions)).toEqual([]);
    expect(plans.at(-1)!.skipped[0]!.why).toBe("active");
  });

  it("respects the startup grace from StartedAt", () => {
    const young = container({ startedAt: T0 - 10 * MIN });
    const p = plan({ snapshot: snapshot({ containers: [young] }), policies: policyView(), records: new Map() });
    expect(p.skipped[0]).toMatchObject({ why: "grace" });
    expect(p.records[0]!.idleStreak).toBe(0);
  });

  it("never idle-stops a devcontainer (max runtime still applies)", () => {
    const dev = container({ type: "devcontainer", startedAt: T0 - 200 * HOUR });
    const plans = runPasses(every5m(12), () => snapshot({ containers: [dev] }));
    expect(plans.flatMap((p) => p.actions).filter((a) => a.reason === "idle")).toEqual([]);
    expect(plans.flatMap((p) => p.actions).some((a) => a.reason === "max_runtime")).toBe(true);
  });

  it("gives an exempt user one FYI notice and never stops the container", () => {
    const view = policyView({ bob: policy({ user: "bob", exemptions: [{ exempt_from: ["idle_timeout_h"], reason: "thesis deadline", expires_on: null }] }) });
    const c = container({ owner: "bob", startedAt: T0 - 2 * HOUR });
    const plans = runPasses(every5m(30), () => snapshot({ containers: [c] }), view);
    const all = plans.flatMap((p) => p.actions).filter((a) => a.reason === "idle");
    expect(all.map((a) => a.kind)).toEqual(["notice"]);
    expect(bodyOf(all[0])).toMatch(/thesis deadline/);
    expect(plans.at(-1)!.skipped[0]!.why).toBe("exempt");
  });

  it("honours a fresh keep-alive file and ignores an expired one", () => {
    const c = container({ startedAt: T0 - 2 * HOUR });
    const fresh = runPasses(every5m(14), (now) => snapshot({ containers: [c], keepaliveMtime: new Map([[c.id, now - HOUR]]) }));
    expect(fresh.flatMap((p) => p.actions).some((a) => a.kind === "stop")).toBe(false);
    expect(fresh.at(-1)!.skipped[0]!.why).toBe("keepalive");
    const stale = runPasses(every5m(14), (now) => snapshot({ containers: [c], keepaliveMtime: new Map([[c.id, now - 25 * HOUR]]) }));
    const stop = stale.flatMap((p) => p.actions).find((a) => a.kind === "stop");
    expect(stop?.notice?.body).toMatch(/ignored/);
  });

  it("names the owner's configured keep-alive file in its hints, not the default path", () => {
    const view = policyView({}, policy({ policies: { keepalive_file: "/data/.stay-up" } }));
    const c = container({ startedAt: T0 - 2 * HOUR });
    const warnings = runPasses(every5m(12), () => snapshot({ containers: [c] }), view).flatMap((p) => p.actions).filter((a) => a.kind === "warn" || a.kind === "final_warn");
    expect(warnings.map((a) => a.kind)).toEqual(["warn", "final_warn"]);
    for (const a of warnings) {
      expect(bodyOf(a)).toContain("touch /data/.stay-up");
      expect(bodyOf(a)).not.toContain("/workspace/.keep-alive");
    }
  });

  it("ignores a keep-alive file dated in the future (it would postpone the stop for as long as its owner likes)", () => {
    const c = container({ startedAt: T0 - 2 * HOUR });
    const future = runPasses(every5m(14), () => snapshot({ containers: [c], keepaliveMtime: new Map([[c.id, T0 + 365 * 24 * HOUR]]) }));
    const stop = future.flatMap((p) => p.actions).find((a) => a.kind === "stop");
    expect(stop).toBeDefined();
    expect(stop?.notice?.body).toMatch(/dated in the future/);
    // A few minutes ahead is clock skew between the container's file system and the host: honoured.
    const skew = runPasses(every5m(14), (now) => snapshot({ containers: [c], keepaliveMtime: new Map([[c.id, now + 2 * MIN]]) }));
    expect(skew.flatMap((p) => p.actions).some((a) => a.kind === "stop")).toBe(false);
  });

  it("halves the timeout in high-demand mode", () => {
    // 4 GPUs, all held → ratio 1.0 ≥ 0.8
    const cs = [0, 1, 2, 3].map((i) => container({ gpus: [gpuUuid(i)], startedAt: T0 - 2 * HOUR }));
    const plans = runPasses(every5m(12), () => snapshot({ containers: cs }));
    const stopAt = plans.find((p) => p.actions.some((a) => a.kind === "stop"))!.now;
    expect(stopAt - T0).toBeLessThan(30 * MIN);
    expect(stopAt - T0).toBeGreaterThanOrEqual(15 * MIN);
  });

  it("treats a MIG device without compute processes as idle and with processes as unknown", () => {
    const inv = inventory([migGpu(0, 7, { processes: [proc(4242, gpuUuid(0), { migUuid: migUuid(0, 1), gpuInstanceId: 8, computeInstanceId: 0 })] })]);
    const free = container({ gpus: [migUuid(0, 0)] });
    const busy = container({ gpus: [migUuid(0, 1)] });
    const p = plan({ snapshot: snapshot({ containers: [free, busy], gpus: inv, activity: new Map([[free.id, { cpuPct: null, netBytesPerS: null }], [busy.id, { cpuPct: null, netBytesPerS: null }]]) }), policies: policyView(), records: new Map() });
    const byId = new Map(p.records.map((r) => [r.containerId, r]));
    expect(byId.get(free.id)!.idleStreak).toBe(1);
    expect(byId.get(busy.id)!.idleStreak).toBe(0);
  });

  it("does nothing at all when Docker could not be listed", () => {
    const p = plan({ snapshot: snapshot({ containers: [], dockerError: "connect ENOENT" }), policies: policyView(), records: new Map() });
    expect(p).toMatchObject({ actions: [], records: [], forget: [] });
  });

  it("does not count unknown readings toward the streak (probe failure)", () => {
    const c = container({ startedAt: T0 - 2 * HOUR });
    const plans = runPasses(every5m(20), () =>
      snapshot({ containers: [c], gpus: inventory([], "nvidia-smi timed out"), activity: new Map([[c.id, { cpuPct: null, netBytesPerS: null }]]) }),
    );
    expect(plans.flatMap((p) => p.actions)).toEqual([]);
    expect(plans.at(-1)!.records[0]!.idleStreak).toBe(0);
  });
});

describe("max runtime", () => {
  it("warns at 75 %, final-warns at 90 %, stops at 100 % with the type's grace, without removing", () => {
    const c = container({ type: "compose", startedAt: T0 - 60 * HOUR }); // compose: 72 h
    const view = policyView();
    const busy = (now: number) => snapshot({ containers: [c], gpus: inventory([gpu(0, { utilizationPct: 90 })]), now });
    const times = [T0, T0 + 7 * HOUR, T0 + 12 * HOUR, T0 + 13 * HOUR];
    const plans = runPasses(times, busy, view);
    expect(plans.map(kinds)).toEqual([["warn:max_runtime"], ["final_warn:max_runtime"], ["stop:max_runtime"], ["stop:max_runtime"]]);
    expect(plans[2]!.actions[0]).toMatchObject({ kind: "stop", graceS: 45 });
  });

  it("is not reset by docker restart", () => {
    const view = policyView();
    const first = container({ id: "r".repeat(64), type: "docker", startedAt: T0 - 40 * HOUR });
    let records = new Map<string, ContainerRecord>();
    const p1 = plan({ snapshot: snapshot({ containers: [first], gpus: inventory([gpu(0, { utilizationPct: 90 })]) }), policies: view, records });
    records = new Map(p1.records.map((r) => [r.containerId, r]));
    // restarted 1 h later: new StartedAt, FinishedAt at the restart
    const restarted = { ...first, startedAt: T0 + HOUR, finishedAt: T0 + HOUR - 1000 };
    const p2 = plan({ snapshot: snapshot({ containers: [restarted], now: T0 + 2 * HOUR, gpus: inventory([gpu(0, { utilizationPct: 90 })]) }), policies: view, records });
    const r = p2.records[0]!;
    expect(r.runtimeAccumulatedMs).toBeGreaterThanOrEqual(41 * HOUR - 1000);
    expect(p2.actions.map((a) => a.kind)).toEqual(["warn"]); // 42 h of 48 h ≥ 75 %
  });

  it("audits an exemption once per container, not every pass", () => {
    const view = policyView({ carol: policy({ user: "carol", exemptions: [{ exempt_from: ["max_runtime_h"], reason: "grant", expires_on: null }] }) });
    const c = container({ owner: "carol", startedAt: T0 - 47 * HOUR });
    const plans = runPasses(every5m(6), () => snapshot({ containers: [c], gpus: inventory([gpu(0, { utilizationPct: 90 })]) }), view);
    expect(plans.flatMap((p) => p.actions).map((a) => `${a.kind}:${a.reason}`)).toEqual(["notice:max_runtime"]);
  });
});

describe("stale cleanup", () => {
  it.each([
    ["created 31 min ago", { state: "created" as const, createdAt: T0 - 31 * MIN, startedAt: null }, "created_timeout"],
    ["exited GPU container past the 15 min GPU hold", { state: "exited" as const, finishedAt: T0 - 16 * MIN }, "gpu_hold"],
    ["exited CPU container past the 30 min hold", { state: "exited" as const, finishedAt: T0 - 31 * MIN, gpus: [] }, "exited_hold"],
  ])("removes a %s", (_l, spec, reason) => {
    const c = container(spec);
    const p = plan({ snapshot: snapshot({ containers: [c] }), policies: policyView(), records: new Map() });
    expect(p.actions[0]).toMatchObject({ kind: "remove", reason });
  });

  it.each([
    ["created 29 min ago", { state: "created" as const, createdAt: T0 - 29 * MIN, startedAt: null }],
    ["exited 10 min ago", { state: "exited" as const, finishedAt: T0 - 10 * MIN }],
    ["protected and exited long ago", { state: "exited" as const, finishedAt: T0 - 100 * HOUR, infrastructure: true }],
  ])("keeps a %s", (_l, spec) => {
    const p = plan({ snapshot: snapshot({ containers: [container(spec)] }), policies: policyView(), records: new Map() });
    expect(p.actions).toEqual([]);
  });
});

describe("GPU health", () => {
  it("kills an orphan host process on a released GPU but not a process of a running container", () => {
    const holder = container({ gpus: [gpuUuid(1)] });
    const inv = inventory([gpu(0, { processes: [proc(111, gpuUuid(0))] }), gpu(1, { processes: [proc(222, gpuUuid(1), { containerId: holder.id })] })]);
    const p = plan({ snapshot: snapshot({ containers: [holder], gpus: inv, releasedGpus: [gpuUuid(0), gpuUuid(1)] }), policies: policyView(), records: new Map() });
    const health = p.actions.filter((a) => a.reason === "orphan_process" || a.reason === "gpu_health");
    expect(health.map((a) => [a.kind, pidOf(a) ?? gpuOf(a)])).toEqual([["kill_process", 111], ["reset_gpu", gpuUuid(0)]]);
  });

  it("never resets a MIG GPU or one with a process left: alerts instead", () => {
    const inv = inventory([
      migGpu(0, 2, { processes: [proc(1, gpuUuid(0), { migUuid: migUuid(0, 0) })] }),
      gpu(1, { processes: [proc(2, gpuUuid(1)), proc(3, gpuUuid(1), { notOnHost: true })] }),
    ]);
    const p = plan({ snapshot: snapshot({ containers: [], gpus: inv, releasedGpus: [migUuid(0, 0), gpuUuid(1)] }), policies: policyView(), records: new Map() });
    expect(p.actions.map((a) => a.kind)).toEqual(["kill_process", "alert", "kill_process", "alert"]);
    expect(p.actions.some((a) => a.kind === "reset_gpu")).toBe(false);
  });
});

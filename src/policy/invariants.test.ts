// Property-style checks of the safety invariants (docs/daemon.md) on the planner: random fleets, random times, many passes.
import { describe, expect, it } from "vitest";
import type { ContainerType, ObservedContainer } from "../model/container.js";
import type { Gpu } from "../model/gpu.js";
import type { ContainerRecord } from "../model/record.js";
import { container, gpu, gpuUuid, HOUR, inventory, MIN, migGpu, migUuid, policy, policyView, proc, T0 } from "../../test/helpers/fleet.js";
import { canRunProcesses } from "../model/container.js";
import { simulate } from "../../test/helpers/simulate.js";
import type { ContainerActivity, Plan, Snapshot } from "./plan-types.js";

/** Small deterministic PRNG (mulberry32) so a failing seed can be replayed. */
function prng(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return { next, int: (n: number) => Math.floor(next() * n), pick: <T>(xs: readonly T[]): T => xs[Math.floor(next() * xs.length)]!, chance: (p: number) => next() < p };
}

const TYPES: ContainerType[] = ["docker", "compose", "devcontainer", "api", "atomic", "unknown", "orchestration"];
const USERS = ["alice", "bob", "carol", "unknown"];

function randomFleet(seed: number) {
  const r = prng(seed);
  const gpus: Gpu[] = [gpu(0), gpu(1), migGpu(2, 3), gpu(3)];
  const slots = [gpuUuid(0), gpuUuid(1), gpuUuid(3), migUuid(2, 0), migUuid(2, 1), migUuid(2, 2)];
  const containers: ObservedContainer[] = Array.from({ length: 4 + r.int(20) }, () => {
    const state = r.pick(["running", "running", "running", "exited", "created", "paused"] as const);
    return container({
      owner: r.pick(USERS),
      type: r.pick(TYPES),
      state,
      gpus: r.chance(0.8) ? [r.pick(slots)] : [],
      startedAt: state === "created" ? null : T0 - r.int(100) * HOUR - r.int(60) * MIN,
      createdAt: T0 - 200 * HOUR - r.int(100) * MIN,
      finishedAt: state === "exited" ? T0 - r.int(120) * MIN : null,
      infrastructure: r.chance(0.15),
    });
  });
  // GPU processes: some in running containers, some host orphans, some foreign PIDs.
  for (const g of gpus) {
    for (let i = 0; i < r.int(3); i++) {
      const owner = r.chance(0.5) ? r.pick(containers) : null;
      g.processes.push(proc(10_000 + r.int(50_000), g.uuid, { containerId: owner?.id ?? null, notOnHost: r.chance(0.2), migUuid: g.migEnabled ? r.pick(g.migDevices).uuid : null }));
    }
    if (r.chance(0.3)) g.utilizationPct = r.int(100);
    if (r.chance(0.2)) g.utilizationPct = null;
  }
  const view = policyView({
    bob: policy({ user: "bob", exemptions: [{ exempt_from: ["idle_timeout_h"], reason: "r", expires_on: null }] }),
    carol: policy({ user: "carol", exemptions: [{ exempt_from: ["max_runtime_h"], reason: "r", expires_on: null }] }),
  });
  return { r, gpus, containers, view, slots };
}

function snapshotAt(now: number, f: ReturnType<typeof randomFleet>, pass: number): Snapshot {
  const { r } = f;
  const broken = r.chance(0.1);
  const activity = new Map<string, ContainerActivity>(
    f.containers.map((c) => [c.id, { cpuPct: r.chance(0.2) ? null : r.chance(0.8) ? r.next() : 50, netBytesPerS: r.chance(0.2) ? null : r.int(100) }]),
  );
  return {
    now,
    containers: f.containers,
    dockerError: pass > 0 && r.chance(0.05) ? "engine unreachable" : null,
    activity,
    gpus: broken ? inventory([], "nvidia-smi timed out") : inventory(f.gpus),
    gpuUtilMax: new Map(),
    keepaliveMtime: new Map(f.containers.filter(() => r.chance(0.2)).map((c) => [c.id, now - r.int(48) * HOUR])),
    releasedGpus: r.chance(0.5) ? f.slots.filter(() => r.chance(0.5)) : [],
  };
}

function checkInvariants(s: Snapshot, p: Plan, before: ReadonlyMap<string, ContainerRecord>, view: ReturnType<typeof policyView>) {
  const byId = new Map(s.containers.map((c) => [c.id, c]));
  const destructive = p.actions.filter((a) => ["stop", "remove", "kill_process", "reset_gpu"].includes(a.kind));
  if (s.dockerError) expect(p.actions).toEqual([]);
  if (s.gpus.error) expect(p.actions.filter((a) => a.kind === "kill_process" || a.kind === "reset_gpu")).toEqual([]);
  for (const a of destructive) {
    const c = a.containerId ? byId.get(a.containerId) : undefined;
    // protected / monitoring / infrastructure: never touched
    if (a.kind !== "kill_process") expect(c?.identity.infrastructure ?? false).toBe(false);
    if (a.kind === "stop" && c) {
      const pol = view.forOwner(c.identity.owner);
      const exemptFrom = pol.exemptions.flatMap((e) => e.exempt_from);
      if (a.reason === "idle") {
        expect(exemptFrom).not.toContain("idle_timeout_h");
        expect(c.identity.type).not.toBe("devcontainer");
        // never inside the startup grace
        expect(s.now - (c.startedAt ?? 0)).toBeGreaterThanOrEqual(pol.policies.grace_period_m * MIN);
        // warnings delivered at least one check earlier
        const rec = before.get(c.id);
        expect(rec?.idleWarnedAt).not.toBeNull();
        expect(rec?.idleFinalWarnedAt ?? Infinity).toBeLessThan(s.now);
        expect(s.now - (rec?.idleWarnedAt ?? s.now)).toBeGreaterThanOrEqual(pol.policies.min_warning_lead_m * MIN);
      }
      if (a.reason === "max_runtime") {
        expect(exemptFrom).not.toContain("max_runtime_h");
        const rec = before.get(c.id);
        expect(rec?.runtimeFinalWarnedAt ?? Infinity).toBeLessThan(s.now);
      }
    }
    if (a.kind === "kill_process") {
      const g = s.gpus.gpus.flatMap((x) => x.processes).find((pr) => pr.pid === a.pid)!;
      expect(g.notOnHost).toBe(false);
      const owner = g.containerId ? byId.get(g.containerId) : undefined;
      expect(owner && canRunProcesses(owner.state)).toBeFalsy();
    }
    if (a.kind === "reset_gpu") {
      const g = s.gpus.gpus.find((x) => x.uuid === a.gpuUuid)!;
      expect(g.migEnabled).toBe(false);
      const live = s.containers.filter((c) => canRunProcesses(c.state)).filter((c) => c.identity.gpus.includes(g.uuid));
      expect(live).toEqual([]);
      // every process left on it is one this plan kills
      const killed = new Set(p.actions.flatMap((k) => (k.kind === "kill_process" && k.gpuUuid === g.uuid ? [k.pid] : [])));
      expect(g.processes.every((pr) => killed.has(pr.pid))).toBe(true);
    }
  }
}

describe("safety invariants over random fleets", () => {
  it.each(Array.from({ length: 60 }, (_, i) => i + 1))("seed %i: 40 passes at random intervals", (seed) => {
    const f = randomFleet(seed);
    let now = T0;
    simulate({
      passes: 40,
      timeOf: () => (now += (1 + f.r.int(30)) * MIN),
      snapshotAt: (at, pass) => snapshotAt(at, f, pass),
      policies: f.view,
      // Marks are applied only for actions "delivered" (random partial failures, like a real executor).
      delivered: () => f.r.chance(0.8),
      onPass: (s, p, before) => checkInvariants(s, p, before, f.view),
    });
  });

  it("the generator does exercise stops, removals, kills and resets (the properties are not vacuous)", () => {
    const counts = new Map<string, number>();
    for (let seed = 1; seed <= 60; seed++) {
      const f = randomFleet(seed);
      let now = T0;
      const plans = simulate({ passes: 40, timeOf: () => (now += (1 + f.r.int(30)) * MIN), snapshotAt: (at, pass) => snapshotAt(at, f, pass), policies: f.view });
      for (const a of plans.flatMap((p) => p.actions)) counts.set(`${a.kind}:${a.reason}`, (counts.get(`${a.kind}:${a.reason}`) ?? 0) + 1);
    }
    for (const k of ["stop:idle", "stop:max_runtime", "remove:created_timeout", "kill_process:orphan_process", "reset_gpu:gpu_health", "alert:gpu_health", "notice:idle"]) {
      expect(counts.get(k) ?? 0, k).toBeGreaterThan(0);
    }
  });
});

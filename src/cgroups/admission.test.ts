import { describe, expect, it } from "vitest";
import { applyLimits } from "../allocation/container-limits.js";
import type { JsonObject } from "../docker/json-fields.js";
import type { ResolvedAggregate } from "../model/policy.js";
import { admitCgroupParent, prepareForStart, type CgroupAdmission } from "./admission.js";
import type { AggregateCaps } from "./caps.js";
import { TransientError } from "../errors.js";
import { CgroupError } from "./user-cgroups.js";

const agg = (over: Partial<ResolvedAggregate>): ResolvedAggregate => ({ cpu_quota: null, memory_max: null, memory_high: null, tasks_max: null, ...over });

function admission(aggregate: ResolvedAggregate | null, fail?: string | Error): CgroupAdmission & { prepared: [string, string, AggregateCaps][] } {
  const prepared: [string, string, AggregateCaps][] = [];
  return {
    prepared,
    policyFor: () => ({ group: "student", aggregate }),
    prepare: async (user, group, caps) => {
      if (fail) throw typeof fail === "string" ? new CgroupError(fail) : fail;
      prepared.push([user, group, caps]);
      return `/ds01/${group}-${user}`;
    },
  };
}

describe("admitCgroupParent", () => {
  it("an aggregate cap: the parent is prepared with it and set on the HostConfig", async () => {
    const a = admission(agg({ cpu_quota: "200%", memory_max: "1G", tasks_max: 50 }));
    const hc: JsonObject = { Memory: 1 };
    expect(await admitCgroupParent(hc, "alice", a)).toEqual({ ok: true, parent: "/ds01/student-alice" });
    expect(hc).toEqual({ Memory: 1, CgroupParent: "/ds01/student-alice" });
    expect(a.prepared).toEqual([["alice", "student", { cpuCores: 2, memoryMax: 1024 ** 3, memoryHigh: null, tasksMax: 50 }]]);
  });

  it.each([
    ["no aggregate block", null],
    ["an aggregate without cpu_quota, memory_max or tasks_max", agg({ memory_high: "1G" })],
  ])("%s: no parent, the HostConfig is left as it was", async (_n, aggregate) => {
    const a = admission(aggregate);
    const hc: JsonObject = {};
    expect(await admitCgroupParent(hc, "alice", a)).toEqual({ ok: true, parent: null });
    expect(hc).toEqual({});
    expect(a.prepared).toEqual([]);
  });

  it("a parent that cannot be prepared refuses the create (and a start) with the reason", async () => {
    const a = admission(agg({ memory_max: "1G" }), "EACCES: permission denied, open '/sys/fs/cgroup/memory/ds01/student-alice/memory.limit_in_bytes'");
    const hc: JsonObject = {};
    const r = await admitCgroupParent(hc, "alice", a);
    expect(r.ok).toBe(false);
    expect(!r.ok && r.reason).toMatch(/^your per-user limits \(aggregate cpu_quota\/memory_max\/tasks_max\) could not be put in place, so nothing was created: EACCES/);
    expect(hc).toEqual({});
    expect(await prepareForStart("alice", a)).toMatch(/so the container was not started: EACCES/);
  });

  it("a setup the engine did not say is refused too; an engine that does not answer at all is the caller's to report", async () => {
    const unknown = admission(agg({ memory_max: "1G" }), new TransientError("the engine did not say its cgroup driver within 5000 ms", "docker"));
    expect(await admitCgroupParent({}, "alice", unknown)).toMatchObject({ ok: false, reason: expect.stringMatching(/did not say its cgroup driver/) });
    const gone = Object.assign(new Error("connect ENOENT /run/ds01/engine.sock"), { code: "ENOENT" });
    await expect(admitCgroupParent({}, "alice", admission(agg({ memory_max: "1G" }), gone))).rejects.toBe(gone);
  });

  it("no admission wired (a non-root ds01 create, whose gate sets the parent): nothing is done", async () => {
    expect(await admitCgroupParent({}, "alice", undefined)).toEqual({ ok: true, parent: null });
  });
});

describe("the aggregate CPU quota as a ceiling for one container", () => {
  const limits = { max_cpus: 8, memory: null, memory_swap: null, shm_size: null, pids_limit: null };
  it("fills in the aggregate when it is tighter than max_cpus, and names it in a refusal", () => {
    const hc: JsonObject = {};
    expect(applyLimits(hc, limits, 64, 2)).toEqual({ ok: true, notes: [] });
    expect(hc.NanoCpus).toBe(2e9);
    expect(applyLimits({ NanoCpus: 3e9 }, limits, 64, 2)).toEqual({ ok: false, reason: "--cpus 3 is above your limit of 2 (aggregate cpu_quota); ask for 2 or fewer" });
  });
  it("max_cpus stays the ceiling when it is the tighter; no aggregate changes nothing", () => {
    expect(applyLimits({ NanoCpus: 9e9 }, limits, 64, 16)).toEqual({ ok: false, reason: "--cpus 9 is above your limit of 8 (max_cpus); ask for 8 or fewer" });
    const hc: JsonObject = {};
    applyLimits(hc, { ...limits, max_cpus: null }, 64, 4);
    expect(hc.NanoCpus).toBe(4e9);
    const none: JsonObject = {};
    applyLimits(none, { ...limits, max_cpus: null }, 64);
    expect(none.NanoCpus).toBeUndefined();
  });
});

// `ds01 explain`: the same assessments the planner makes, for one container, with their reasons.
import type { ObservedContainer } from "../model/container.js";
import type { ContainerRecord } from "../model/record.js";
import { assessCleanup } from "./cleanup.js";
import { highDemandRatio } from "./high-demand.js";
import { assessIdle, type IdleOutcome } from "./idle.js";
import type { GpuInventory } from "../model/gpu.js";
import type { ContainerActivity, PolicyView, Skip, Snapshot } from "./plan-types.js";
import { observeRecord } from "./records.js";
import { assessRuntime, type RuntimeOutcome } from "./runtime.js";

export interface Explanation {
  container: ObservedContainer;
  group: string;
  idleTimeoutS: number | null;
  maxRuntimeS: number | null;
  sigtermGraceS: number;
  idle: IdleOutcome | null;
  runtime: RuntimeOutcome | null;
  skip: Skip | null;
  next: { kind: string; reason: string; at: number } | null;
  planned: { kind: string; reason: string; summary: string }[];
}

export function explainContainer(s: Snapshot, policies: PolicyView, c: ObservedContainer, prev: ContainerRecord | null): Explanation {
  const policy = policies.forOwner(c.identity.owner);
  const t = policies.effectiveTimeouts(policy, c.identity.type);
  const rec = observeRecord(prev, c, s.now);
  const out: Explanation = { container: c, group: policy.group, idleTimeoutS: t.idleTimeoutS, maxRuntimeS: t.maxRuntimeS, sigtermGraceS: t.sigtermGraceS, idle: null, runtime: null, skip: null, next: null, planned: [] };
  const nexts: { kind: string; reason: string; at: number }[] = [];
  if (c.state === "running") {
    out.idle = assessIdle({ snapshot: s, policies, highDemandRatio: highDemandRatio(s.gpus, s.containers) }, c, rec);
    out.runtime = assessRuntime(policies, c, out.idle.record, s.now);
    out.skip = out.idle.skip ?? out.runtime.skip;
    out.planned = [...out.idle.actions, ...out.runtime.actions].map((a) => ({ kind: a.kind, reason: a.reason, summary: a.summary }));
    if (out.idle.next) nexts.push({ ...out.idle.next, reason: "idle" });
    if (out.runtime.next) nexts.push({ ...out.runtime.next, reason: "max_runtime" });
    if (out.idle.timeoutS !== null) out.idleTimeoutS = out.idle.timeoutS; // high demand applied
  } else {
    const k = assessCleanup(policies, c, s.now);
    out.skip = k.skip;
    out.planned = k.actions.map((a) => ({ kind: a.kind, reason: a.reason, summary: a.summary }));
    if (k.next) nexts.push({ ...k.next, reason: c.state === "created" ? "created_timeout" : "exited_hold" });
  }
  out.next = nexts.sort((a, b) => a.at - b.at)[0] ?? null;
  return out;
}

export interface VisibleNow {
  now: number;
  containers: readonly ObservedContainer[];
  gpus: GpuInventory;
  /** The container's CPU/network reading, when one was taken. */
  activity?: ContainerActivity;
}

/** The planner's next step for `c` from what is visible now (no GPU samples, no keep-alive files). */
export function nextStepNow(v: VisibleNow, policies: PolicyView, c: ObservedContainer, prev: ContainerRecord | null): Explanation["next"] {
  const snapshot: Snapshot = {
    now: v.now,
    containers: v.containers,
    dockerError: null,
    activity: new Map([[c.id, v.activity ?? { cpuPct: null, netBytesPerS: null }]]),
    gpus: v.gpus,
    gpuUtilMax: new Map(),
    keepaliveMtime: new Map(),
    releasedGpus: [],
  };
  return explainContainer(snapshot, policies, c, prev).next;
}

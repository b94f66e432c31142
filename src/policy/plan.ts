// plan(snapshot, policy, records) → actions. Pure: no clock, no I/O, no randomness (docs/architecture.md).
// Order within a pass: GPU release/health → idle → max runtime → stale cleanup.
import type { ContainerRecord } from "../model/record.js";
import { assessCleanup } from "./cleanup.js";
import { planGpuHealth, type HealthTarget } from "./gpu-health.js";
import { highDemandRatio } from "./high-demand.js";
import { assessIdle } from "./idle.js";
import type { Plan, PlannedAction, PolicyView, Skip, Snapshot } from "./plan-types.js";
import { observeRecord } from "./records.js";
import { assessRuntime } from "./runtime.js";

export interface PlanInput {
  snapshot: Snapshot;
  policies: PolicyView;
  records: ReadonlyMap<string, ContainerRecord>;
}

export function plan({ snapshot: s, policies, records }: PlanInput): Plan {
  const now = s.now;
  if (s.dockerError) return { now, actions: [], skipped: [], records: [], forget: [] };

  const health: PlannedAction[] = planGpuHealth(s, s.releasedGpus.map((uuid): HealthTarget => ({ uuid, why: "released" })), policies);
  const idle: PlannedAction[] = [];
  const runtime: PlannedAction[] = [];
  const cleanup: PlannedAction[] = [];
  const skipped: Skip[] = [];
  const updated: ContainerRecord[] = [];
  const ratio = highDemandRatio(s.gpus, s.containers);

  for (const c of s.containers) {
    let rec = observeRecord(records.get(c.id) ?? null, c, now);
    if (c.state === "running") {
      const i = assessIdle({ snapshot: s, policies, highDemandRatio: ratio }, c, rec);
      rec = i.record;
      idle.push(...i.actions);
      // A container stopped for idleness this pass is not also judged on its runtime.
      const stopping = i.actions.some((a) => a.kind === "stop");
      const r = stopping ? null : assessRuntime(policies, c, rec, now);
      if (r) runtime.push(...r.actions);
      const skip = i.skip && r?.skip ? mergeSkips(i.skip, r.skip) : null;
      if (skip && i.actions.length === 0 && (r?.actions.length ?? 0) === 0) skipped.push(skip);
    } else {
      const k = assessCleanup(policies, c, now);
      cleanup.push(...k.actions);
      if (k.skip && k.actions.length === 0) skipped.push(k.skip);
    }
    updated.push(rec);
  }
  const present = new Set(s.containers.map((c) => c.id));
  const forget = [...records.keys()].filter((id) => !present.has(id));
  return { now, actions: [...health, ...idle, ...runtime, ...cleanup], skipped, records: updated, forget };
}

/** One skip line per container: the idle reason, unless runtime has the more telling one. */
function mergeSkips(idle: Skip, runtime: Skip): Skip {
  if (idle.why === "protected" || runtime.why === "within_limits" || runtime.why === "no_gpu") return idle;
  return runtime;
}

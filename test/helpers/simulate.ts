// Planner passes in a row, as the daemon runs them: plan → carry the records forward → apply the
// marks of the warnings that were delivered → the next pass. One loop for every planner test.
import type { ContainerRecord } from "../../src/model/record.js";
import { plan } from "../../src/policy/plan.js";
import type { Plan, PlannedAction, PolicyView, Snapshot } from "../../src/policy/plan-types.js";

export interface Simulation {
  passes: number;
  /** When pass `i` runs; called once per pass, in order. */
  timeOf: (pass: number) => number;
  snapshotAt: (now: number, pass: number) => Snapshot;
  policies: PolicyView;
  /** Whether an action with marks was delivered (its marks applied); default: every one. */
  delivered?: (a: PlannedAction) => boolean;
  /** Sees each pass with the records it was planned from. */
  onPass?: (snapshot: Snapshot, p: Plan, before: ReadonlyMap<string, ContainerRecord>) => void;
}

export function simulate(o: Simulation): Plan[] {
  let records = new Map<string, ContainerRecord>();
  const plans: Plan[] = [];
  for (let pass = 0; pass < o.passes; pass++) {
    const s = o.snapshotAt(o.timeOf(pass), pass);
    const p = plan({ snapshot: s, policies: o.policies, records });
    o.onPass?.(s, p, records);
    plans.push(p);
    // A pass that could not list Docker judged nothing: the records stay as they were.
    if (s.dockerError) continue;
    const next = new Map(p.records.map((r) => [r.containerId, r]));
    for (const a of p.actions) if ("marks" in a && (o.delivered?.(a) ?? true)) next.set(a.containerId, { ...next.get(a.containerId)!, ...a.marks });
    records = next;
  }
  return plans;
}

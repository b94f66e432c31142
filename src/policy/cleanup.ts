// Stale cleanup: `created` containers that never started, and
// exited containers past their owner's hold. Unknown owners get the strictest rule (PolicyView does that).
import type { ObservedContainer } from "../model/container.js";
import { formatDuration, MINUTE_MS, SECOND_MS } from "../util/duration.js";
import type { PlannedAction, PolicyView, RemovalReason, Skip } from "./plan-types.js";

export interface CleanupOutcome {
  actions: PlannedAction[];
  skip: Skip | null;
  next: { kind: "remove"; at: number } | null;
}

function removal(c: ObservedContainer, reason: RemovalReason, summary: string, details: Record<string, unknown>): PlannedAction[] {
  const who = { containerId: c.id, container: c.name, user: c.identity.owner, group: `cleanup:${c.id}` };
  return [
    { ...who, kind: "remove", reason, summary, details },
    ...c.identity.gpus.map((g): PlannedAction => ({ ...who, kind: "release_gpu", reason, summary: `release ${g}`, details: {}, gpuUuid: g })),
  ];
}

export function assessCleanup(policies: PolicyView, c: ObservedContainer, now: number): CleanupOutcome {
  const none: CleanupOutcome = { actions: [], skip: null, next: null };
  if (c.state !== "created" && c.state !== "exited") return none;
  if (c.identity.infrastructure) {
    return { ...none, skip: { containerId: c.id, container: c.name, why: "protected", detail: c.identity.infrastructureReason ?? "infrastructure" } };
  }
  const policy = policies.forOwner(c.identity.owner);
  if (c.state === "created") {
    const limitM = policy.policies.created_container_timeout_m;
    const age = now - c.createdAt;
    if (limitM === null) return { ...none, skip: { containerId: c.id, container: c.name, why: "within_limits", detail: "created containers are kept (no timeout)" } };
    const due = c.createdAt + limitM * MINUTE_MS;
    if (now < due) {
      return { ...none, next: { kind: "remove", at: due }, skip: { containerId: c.id, container: c.name, why: "within_limits", detail: `created ${formatDuration(age)} ago, never started; removed after ${formatDuration(limitM * MINUTE_MS)}` } };
    }
    return { ...none, actions: removal(c, "created_timeout", `created ${formatDuration(age)} ago and never started`, { age_s: Math.round(age / SECOND_MS), created_container_timeout_m: limitM }) };
  }
  // exited
  if (c.finishedAt === null) return { ...none, skip: { containerId: c.id, container: c.name, why: "within_limits", detail: "no FinishedAt from Docker" } };
  const holdS = policies.containerHoldS(policy, c.identity.hasGpu);
  const stoppedFor = now - c.finishedAt;
  if (holdS === null) return { ...none, skip: { containerId: c.id, container: c.name, why: "within_limits", detail: "stopped containers are kept (no hold limit)" } };
  const due = c.finishedAt + holdS * SECOND_MS;
  if (now < due) {
    return { ...none, next: { kind: "remove", at: due }, skip: { containerId: c.id, container: c.name, why: "within_limits", detail: `stopped ${formatDuration(stoppedFor)} ago; removed after ${formatDuration(holdS * SECOND_MS)}` } };
  }
  const gpuHoldH = policy.limits.gpu_hold_after_stop_h;
  const reason: RemovalReason = c.identity.hasGpu && gpuHoldH !== null && Math.abs(gpuHoldH * 3600 - holdS) < 1e-6 ? "gpu_hold" : "exited_hold";
  return { ...none, actions: removal(c, reason, `stopped ${formatDuration(stoppedFor)} ago, hold ${formatDuration(holdS * SECOND_MS)}`, { stopped_for_s: Math.round(stoppedFor / SECOND_MS), hold_s: holdS }) };
}

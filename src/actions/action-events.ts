// Which audit event each planned action becomes, and the event itself.
import { EVENT, type EventType } from "../constants/event-types.js";
import type { AuditEvent } from "../model/audit-event.js";
import { gpuOf, pidOf } from "../policy/action-target.js";
import type { PlannedAction } from "../policy/plan-types.js";

export function eventTypeFor(a: PlannedAction): EventType {
  switch (a.kind) {
    case "warn":
      return a.reason === "max_runtime" ? EVENT.runtimeWarning : EVENT.idleWarning;
    case "final_warn":
      return a.reason === "max_runtime" ? EVENT.runtimeFinalWarning : EVENT.idleFinalWarning;
    case "notice":
      return a.reason === "max_runtime" ? EVENT.runtimeExempt : EVENT.idleNotice;
    case "stop":
      return a.reason === "max_runtime" ? EVENT.runtimeStop : EVENT.idleStop;
    case "remove":
      return EVENT.containerRemove;
    case "release_gpu":
      return EVENT.gpuRelease;
    case "kill_process":
      return EVENT.gpuOrphanKilled;
    case "reset_gpu":
      return EVENT.gpuReset;
    case "alert":
      return EVENT.gpuAlert;
  }
}

/** The audit event of an action (or of something that happened to it: failed, abandoned, ...). */
export function auditOf(a: PlannedAction, now: number, type: AuditEvent["type"], extra: Record<string, unknown> = {}): AuditEvent {
  const pid = pidOf(a);
  const gpu = gpuOf(a);
  return {
    time: now,
    type,
    user: a.user,
    container: a.container,
    containerId: a.containerId,
    details: { kind: a.kind, reason: a.reason, summary: a.summary, ...(pid !== null ? { pid } : {}), ...(gpu ? { gpu_uuid: gpu } : {}), ...a.details, ...extra },
  };
}

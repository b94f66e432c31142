// Which audit event each planned action becomes.
import { EVENT, type EventType } from "../constants/event-types.js";
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

// What an action is aimed at, for code that handles every kind alike (audit events, reports, logs).
import type { PlannedAction } from "./plan-types.js";

/** The process an action ends: kills only. */
export function pidOf(a: PlannedAction): number | null {
  return a.kind === "kill_process" ? a.pid : null;
}

/** The GPU (or MIG device) an action concerns: releases, kills, resets and alerts. */
export function gpuOf(a: PlannedAction): string | null {
  switch (a.kind) {
    case "release_gpu":
    case "kill_process":
    case "reset_gpu":
    case "alert":
      return a.gpuUuid;
    default:
      return null;
  }
}


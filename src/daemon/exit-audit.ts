// What the daemon records the moment a GPU container exits or is removed (pure): an audit event
// naming its GPUs and, when it was still holding them, one `gpu.release` per GPU, which the next
// pass's health check reads (observe: GPUs released since the last pass).
import { EVENT } from "../constants/event-types.js";
import type { AuditEvent } from "../model/audit-event.js";
import type { ObservedContainer } from "../model/container.js";
import { holdsGpu } from "./fleet.js";

export type ExitHow = "die" | "destroy";

export interface ExitFacts {
  how: ExitHow;
  /** The container held its GPUs until now (it was live); false for a removal after an exit. */
  wasLive: boolean;
  now: number;
  /** When Docker says it happened (epoch ms); null when found by a pass, not an event. */
  dockerTime: number | null;
  /** "event" (Docker event stream) or "pass" (seen by a re-list after a missed event). */
  detectedBy: "event" | "pass";
}

export function exitAudit(c: ObservedContainer, f: ExitFacts): AuditEvent[] {
  if (!holdsGpu(c)) return [];
  const gpus = [...new Set(c.identity.gpus)];
  const common = { gpus, container_type: c.identity.type, detected_by: f.detectedBy, ...(f.dockerTime !== null ? { docker_time: f.dockerTime } : {}) };
  const base = { time: f.now, user: c.identity.owner, container: c.name, containerId: c.id };
  const out: AuditEvent[] = [{ ...base, type: f.how === "die" ? EVENT.containerExited : EVENT.containerDestroyed, details: common }];
  if (f.wasLive) {
    for (const g of gpus) out.push({ ...base, type: EVENT.gpuRelease, details: { gpu_uuid: g, reason: f.how === "die" ? "container_exited" : "container_removed", detected_by: f.detectedBy } });
  }
  return out;
}

import type { EventType } from "../constants/event-types.js";

/** One audit record. `details` holds the numbers behind a decision (signal values, thresholds). */
export interface AuditEvent {
  time: number; // epoch ms
  type: EventType;
  user: string | null;
  container: string | null; // name at the time
  containerId: string | null;
  details: Record<string, unknown>;
}

export interface AuditEventFilter {
  since?: number;
  until?: number;
  user?: string;
  container?: string; // name or id prefix
  type?: string; // exact type, or a `category.` prefix
  limit?: number;
}

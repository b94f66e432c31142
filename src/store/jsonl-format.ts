// The original DS01's events.jsonl line format, so existing consumers keep working:
// {"timestamp":"2025-01-01T12:00:00.123000Z","event_type":"container.idle_stop","schema_version":"1",
//  "user":"alice","source":"ds01","details":{"container":"c1","container_id":"abc…",...}}
import type { AuditEvent } from "../model/audit-event.js";

/** The original's limit: a longer line has its details replaced, and is dropped if still too long. */
export const JSONL_MAX_LINE_BYTES = 4000;

/** UTC ISO-8601 with microseconds and a Z, as Python's datetime.utcnow().isoformat() + "Z". */
export function jsonlTimestamp(ms: number): string {
  const iso = new Date(ms).toISOString(); // 2025-01-01T12:00:00.123Z
  return `${iso.slice(0, -1)}000Z`;
}

/**
 * One compact line (no newline), or null when it cannot fit in JSONL_MAX_LINE_BYTES even with
 * truncated details. `user` is omitted when empty; the event's container and container_id are
 * merged into `details` (they win over same-named keys); empty details are omitted.
 */
export function formatJsonlLine(e: AuditEvent): string | null {
  const details: Record<string, unknown> = { ...e.details };
  if (e.container) details.container = e.container;
  if (e.containerId) details.container_id = e.containerId;
  const head = {
    timestamp: jsonlTimestamp(e.time),
    event_type: e.type,
    schema_version: "1",
    ...(e.user ? { user: e.user } : {}),
    source: "ds01",
  };
  const full = JSON.stringify(Object.keys(details).length > 0 ? { ...head, details } : head);
  const size = Buffer.byteLength(full, "utf8");
  if (size <= JSONL_MAX_LINE_BYTES) return full;
  const cut = JSON.stringify({ ...head, details: { truncated: true, original_size: size } });
  return Buffer.byteLength(cut, "utf8") <= JSONL_MAX_LINE_BYTES ? cut : null;
}

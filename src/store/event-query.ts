// AuditEventFilter -> SQL, and events rows -> AuditEvent. Pure; the store runs the SQL.
import type { AuditEvent, AuditEventFilter } from "../model/audit-event.js";
import type { EventType } from "../constants/event-types.js";

export interface EventRow {
  id: number;
  time: number;
  type: string;
  user: string | null;
  container: string | null;
  container_id: string | null;
  details: string;
}

export interface SqlQuery {
  sql: string;
  params: (string | number)[];
}

/**
 * The SELECT for a filter. Rows come back newest LAST (time, then insertion order); with `limit`,
 * they are the newest `limit` events, still oldest first.
 * - `since` is inclusive, `until` exclusive (epoch ms).
 * - `container` matches the name exactly or a container-id prefix.
 * - `type` "container.idle_stop" matches exactly; "container." (trailing dot) or "container"
 *   (no dot) matches the whole category and its sub-categories, never "container_x.*".
 */
export function eventQuery(filter: AuditEventFilter): SqlQuery {
  const where: string[] = [];
  const params: (string | number)[] = [];
  if (filter.since !== undefined) {
    where.push("time >= ?");
    params.push(filter.since);
  }
  if (filter.until !== undefined) {
    where.push("time < ?");
    params.push(filter.until);
  }
  if (filter.user !== undefined) {
    where.push("user = ?");
    params.push(filter.user);
  }
  if (filter.container !== undefined && filter.container !== "") {
    where.push("(container = ? OR substr(container_id, 1, ?) = ?)");
    params.push(filter.container, filter.container.length, filter.container);
  }
  if (filter.type !== undefined && filter.type !== "") {
    const t = filter.type;
    if (t.endsWith(".")) {
      where.push("substr(type, 1, ?) = ?");
      params.push(t.length, t);
    } else {
      where.push("(type = ? OR substr(type, 1, ?) = ?)");
      params.push(t, t.length + 1, `${t}.`);
    }
  }
  const cond = where.length > 0 ? ` WHERE ${where.join(" AND ")}` : "";
  const cols = "id, time, type, user, container, container_id, details";
  if (filter.limit === undefined) {
    return { sql: `SELECT ${cols} FROM events${cond} ORDER BY time ASC, id ASC`, params };
  }
  const limit = Math.max(0, Math.floor(filter.limit));
  return {
    sql: `SELECT * FROM (SELECT ${cols} FROM events${cond} ORDER BY time DESC, id DESC LIMIT ?) ORDER BY time ASC, id ASC`,
    params: [...params, limit],
  };
}

export function eventFromRow(row: EventRow): AuditEvent {
  let details: Record<string, unknown> = {};
  try {
    const parsed: unknown = JSON.parse(row.details);
    if (parsed !== null && typeof parsed === "object" && !Array.isArray(parsed)) details = parsed as Record<string, unknown>;
  } catch {
    details = { unparsable_details: row.details };
  }
  return {
    time: row.time,
    // Types written by a newer ds01 may not be in this version's list; they are still shown.
    type: row.type as EventType,
    user: row.user,
    container: row.container,
    containerId: row.container_id,
    details,
  };
}

export function eventParams(e: AuditEvent): [number, string, string | null, string | null, string | null, string] {
  if (!Number.isFinite(e.time)) throw new Error(`bug: audit event ${e.type} has no valid time`);
  return [Math.round(e.time), e.type, e.user, e.container, e.containerId, JSON.stringify(e.details ?? {})];
}

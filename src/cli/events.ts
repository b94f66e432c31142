// `ds01 events`: the audit log, filtered. Reads the store read-only, so it can run beside the daemon.
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { InvalidInputError, RefusedError } from "../errors.js";
import type { AuditEvent, AuditEventFilter } from "../model/audit-event.js";
import { formatJsonlLine } from "../store/jsonl-format.js";
import { openStore, STORE_FILE } from "../store/sqlite-store.js";
import { defaultStateDir } from "../store/state-dir.js";
import { storeAccess, unreadableStoreText } from "../store/store-access.js";
import { isoTime } from "../util/clock.js";
import { parseDuration } from "../util/duration.js";
import { detailForHumans } from "./detail-time.js";
import { parseCommandArgs, printJson, type CliContext } from "./context.js";
import { SPECS } from "./spec.js";
import { safeCell } from "../util/safe-text.js";

export async function run(ctx: CliContext, argv: string[]): Promise<number> {
  const { values } = parseCommandArgs(argv, SPECS.events.options);
  const now = ctx.clock.now();
  const filter: AuditEventFilter = {};
  if (values.since !== undefined) filter.since = parsePointInTime(values.since, "--since", now);
  if (values.until !== undefined) filter.until = parsePointInTime(values.until, "--until", now);
  if (values.user !== undefined) filter.user = values.user;
  if (values.container !== undefined) filter.container = values.container;
  if (values.type !== undefined) filter.type = values.type;
  if (values.limit !== undefined) filter.limit = parseLimit(values.limit);

  const events = readEvents(ctx, filter);
  const exportPath = values["export-jsonl"];
  if (exportPath !== undefined) return exportJsonl(ctx, events, exportPath);
  if (values.json) printJson(ctx, { events: events.map(eventJson) });
  else ctx.out(renderTable(events));
  return 0;
}

/** A duration back from now ("2h") or an absolute ISO-8601 time ("2025-01-31T12:00:00Z"). */
export function parsePointInTime(text: string, what: string, now: number): number {
  if (/^\d{4}-\d{2}-\d{2}/.test(text.trim())) {
    const t = Date.parse(text.trim());
    if (Number.isNaN(t)) throw new InvalidInputError(`${what}: "${text}" is not a valid time`);
    return t;
  }
  return now - parseDuration(text, what);
}

function parseLimit(text: string): number {
  if (!/^\d+$/.test(text.trim()) || Number(text) < 1) throw new InvalidInputError(`--limit: "${text}" is not a positive whole number`);
  return Number(text);
}

function readEvents(ctx: CliContext, filter: AuditEventFilter): AuditEvent[] {
  const dir = defaultStateDir(ctx);
  const path = join(dir, STORE_FILE);
  const access = storeAccess(path);
  // "Nothing recorded" only where there really is no store: one this caller may not read is said so.
  if (access.kind === "unreadable") throw new RefusedError(unreadableStoreText("the audit log", path, access.why));
  if (access.kind === "absent") {
    ctx.err(`ds01: no audit store at ${path} yet; nothing recorded\n`);
    return [];
  }
  const store = openStore(dir, { readonly: true });
  try {
    return store.query(filter);
  } finally {
    store.close();
  }
}

export function eventJson(e: AuditEvent) {
  return { time: isoTime(e.time), type: e.type, user: e.user, container: e.container, container_id: e.containerId, details: e.details };
}

function exportJsonl(ctx: CliContext, events: readonly AuditEvent[], path: string): number {
  const lines: string[] = [];
  let dropped = 0;
  for (const e of events) {
    const line = formatJsonlLine(e);
    if (line === null) dropped++;
    else lines.push(line + "\n");
  }
  if (path === "-") ctx.out(lines.join(""));
  else {
    writeFileSync(path, lines.join(""), { mode: 0o640 });
    ctx.out(`wrote ${lines.length} events to ${path}\n`);
  }
  if (dropped > 0) ctx.err(`ds01: ${dropped} events too large for a JSONL line were left out\n`);
  return 0;
}

const DETAILS_MAX = 100;

/** `key=value` pairs, strings bare when they have no spaces, the rest as compact JSON. */
export function detailsSummary(details: Readonly<Record<string, unknown>>): string {
  const parts = Object.entries(details).map(([k, raw]) => {
    const v = detailForHumans(k, raw);
    const s = typeof v === "string" && v !== "" && !/[\s"=]/.test(v) ? v : JSON.stringify(v) ?? String(v);
    return `${k}=${s}`;
  });
  const text = parts.join(" ");
  return text.length > DETAILS_MAX ? `${text.slice(0, DETAILS_MAX - 1)}…` : text;
}

export function renderTable(events: readonly AuditEvent[]): string {
  if (events.length === 0) return "no events\n";
  const rows = events.map((e) => [
    isoTime(e.time).replace("T", " ").replace(/\.\d+Z$/, "Z"),
    e.type,
    e.user ?? "-",
    e.container ?? (e.containerId ? e.containerId.slice(0, 12) : "-"),
    detailsSummary(e.details),
  ].map(safeCell));
  const header = ["TIME", "TYPE", "USER", "CONTAINER", "DETAILS"];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (r: string[]) =>
    r
      .map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!)))
      .join("  ")
      .trimEnd();
  return [header, ...rows].map(line).join("\n") + "\n";
}

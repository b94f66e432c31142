// Renders a Notice as the plain-text block that terminals, the in-container file, webhooks and
// e-mail all carry. Pure: the time is an argument.
//
// Fixes the original's quota line (it ran the items together): items are separated by " | ", GPUs are
// GPU-equivalents (not a count of containers), memory is the configured limit as written, and an
// unknown number shows as "?" rather than disappearing or turning into 0.
import type { Notice, NoticeQuota, NoticeSeverity } from "../model/notice.js";
import { formatDuration } from "../util/duration.js";
import { asciiLine, asciiSafe } from "./ascii.js";

export const SEVERITY_LABEL: Readonly<Record<NoticeSeverity, string>> = {
  warning: "WARNING",
  final_warning: "FINAL WARNING",
  stopped: "STOPPED",
  notice: "NOTICE",
  alert: "ALERT",
};

export const FIELD_SEPARATOR = " | ";
const RULE_WIDTH = 72;
const MAX_VALUE_CHARS = 200;
/** Numeric facts under these keys are epoch milliseconds (stop_not_before, idle_since, ...). */
const TIME_KEY = /(_at|_before|_since|_until)$/;

export interface RenderOptions {
  /** Epoch ms shown in the block. */
  now: number;
  /** Heavy rules around the block (terminals, the container file). Webhooks and e-mail go without. */
  frame?: boolean;
}

/** "[WARNING] IDLE CONTAINER: train._.alice" */
export function renderHeader(notice: Notice): string {
  const name = notice.containerName ?? null;
  return asciiLine(`[${SEVERITY_LABEL[notice.severity]}] ${notice.title}${name ? `: ${name}` : ""}`);
}

export function renderNotice(notice: Notice, opts: RenderOptions): string {
  const frame = opts.frame ?? true;
  const lines: string[] = [];
  if (frame) lines.push("=".repeat(RULE_WIDTH));
  lines.push(renderHeader(notice));
  lines.push(`ds01 - ${formatTime(opts.now)}${notice.user ? ` - user ${asciiLine(notice.user)}` : ""}`);
  lines.push(frame ? "-".repeat(RULE_WIDTH) : "");
  const body = asciiSafe(notice.body).replace(/\s+$/, "");
  if (body) lines.push(body);
  const prevent = (notice.prevent ?? []).map(asciiLine).filter(Boolean);
  if (prevent.length > 0) {
    lines.push("", "To prevent this:");
    for (const p of prevent) lines.push(`  - ${p}`);
  }
  const details = renderFacts(notice.facts);
  const quota = notice.quota ? renderQuota(notice.quota) : null;
  if (details || quota) lines.push("");
  if (details) lines.push(`Details: ${details}`);
  if (quota) lines.push(`Your quotas: ${quota}`);
  if (frame) lines.push("=".repeat(RULE_WIDTH));
  return lines.join("\n") + "\n";
}

/** "GPUs 1.5/2 | Memory 96g | Containers 2/3"; unknown usage is "?", a null limit is "unlimited". */
export function renderQuota(q: NoticeQuota): string {
  return [
    `GPUs ${num(q.gpusUsed)}/${limit(q.gpusLimit)}`,
    `Memory ${q.memoryLimit === null ? "unlimited" : asciiLine(q.memoryLimit)}`,
    `Containers ${num(q.containersUsed)}/${limit(q.containersLimit)}`,
  ].join(FIELD_SEPARATOR);
}

/**
 * "idle_for_s=7500 (2h 5m) | gpu_util=0.5 | gpu_idle_threshold=5": every fact, in the given order.
 * null/undefined → "unknown"; numbers in keys ending in `_s` also get a readable duration; epoch-ms
 * numbers in keys ending in `_at`/`_before`/`_since`/`_until` are shown as UTC times; a flat object
 * (a signal reading) as "(status=idle value=0 threshold=5)"; anything deeper as compact JSON.
 */
export function renderFacts(facts: Readonly<Record<string, unknown>>): string {
  return Object.entries(facts)
    .map(([k, v]) => `${asciiLine(k)}=${renderValue(k, v)}`)
    .join(FIELD_SEPARATOR);
}

function renderValue(key: string, v: unknown): string {
  if (v === null || v === undefined) return "unknown";
  if (typeof v === "number") {
    if (!Number.isFinite(v)) return "unknown";
    if (TIME_KEY.test(key) && v > 1e11) return formatTime(v);
    return key.endsWith("_s") && v >= 60 ? `${num(v)} (${formatDuration(v * 1000)})` : num(v);
  }
  if (typeof v === "string") return clip(asciiLine(v));
  if (typeof v === "boolean") return v ? "yes" : "no";
  if (Array.isArray(v) && v.every((x) => typeof x !== "object" || x === null)) {
    return clip(asciiLine(v.map((x) => (x === null ? "unknown" : String(x))).join(",")));
  }
  if (isFlatObject(v)) {
    return clip(`(${Object.entries(v).map(([k, x]) => `${asciiLine(k)}=${renderValue(k, x)}`).join(" ")})`);
  }
  return clip(asciiLine(safeJson(v)));
}

function isFlatObject(v: unknown): v is Record<string, unknown> {
  if (typeof v !== "object" || v === null || Array.isArray(v)) return false;
  return Object.values(v).every((x) => x === null || x === undefined || ["string", "number", "boolean"].includes(typeof x));
}

/** Real numbers, trimmed: 1.5, 0.25, 2, 0.333 (never "1.5000000001", never a NaN). */
function num(v: number | null): string {
  if (v === null || !Number.isFinite(v)) return "?";
  return String(Math.round(v * 1000) / 1000);
}

function limit(v: number | null): string {
  return v === null ? "unlimited" : num(v);
}

function clip(s: string): string {
  return s.length > MAX_VALUE_CHARS ? `${s.slice(0, MAX_VALUE_CHARS - 3)}...` : s;
}

function safeJson(v: unknown): string {
  try {
    return JSON.stringify(v) ?? String(v);
  } catch {
    return String(v);
  }
}

/** "2025-03-01 14:05:09 UTC" */
export function formatTime(ms: number): string {
  return new Date(ms).toISOString().replace("T", " ").replace(/\.\d{3}Z$/, " UTC");
}

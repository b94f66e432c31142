// A JSON POST to an incoming webhook. `text` is what Slack, Mattermost and Teams (O365 connector)
// display; the structured fields beside it are for anything else (ignored by those three).
// The URL's path usually holds a secret token, so results and errors name only its origin.
import type { DeliveryResult, Notice, NoticeAudience, NoticeSeverity } from "../model/notice.js";
import { errorText } from "../errors.js";
import { safeChatText } from "../util/safe-text.js";
import { asciiLine } from "./ascii.js";

export interface WebhookPayload {
  text: string;
  severity: NoticeSeverity;
  audience: NoticeAudience;
  title: string;
  user: string | null;
  container: string | null;
  container_id: string | null;
  facts: Record<string, unknown>;
  /** ISO-8601 UTC. */
  time: string;
}

export function buildWebhookPayload(notice: Notice, text: string, now: number): WebhookPayload {
  return {
    text: safeChatText(text),
    severity: notice.severity,
    audience: notice.audience,
    title: notice.title,
    user: notice.user,
    container: notice.containerName,
    container_id: notice.containerId,
    facts: notice.facts,
    time: new Date(now).toISOString(),
  };
}

export interface WebhookOptions {
  timeoutMs?: number; // default 5000
}

export async function postWebhook(url: string, payload: WebhookPayload, opts: WebhookOptions = {}): Promise<DeliveryResult> {
  const target = redactUrl(url);
  const timeoutMs = opts.timeoutMs ?? 5000;
  const fail = (error: string): DeliveryResult => ({ channel: "webhook", target, ok: false, error });
  if (!isHttpUrl(url)) return fail("invalid webhook URL (http or https expected)");
  let body: string;
  try {
    body = JSON.stringify(payload, (_k, v: unknown) => (typeof v === "bigint" ? v.toString() : v));
  } catch (e) {
    return fail(`payload is not JSON: ${errorText(e)}`);
  }
  try {
    const res = await fetch(url, {
      method: "POST",
      headers: { "content-type": "application/json", "user-agent": "ds01" },
      body,
      redirect: "error",
      signal: AbortSignal.timeout(timeoutMs),
    });
    const answer = await res.text();
    if (res.ok) return { channel: "webhook", target, ok: true, error: null };
    const detail = asciiLine(answer).slice(0, 200);
    return fail(`HTTP ${res.status}${detail ? `: ${detail}` : ""}`);
  } catch (e) {
    return fail(describeFetchError(e, timeoutMs));
  }
}

/** "https://hooks.slack.com/services/T0/B0/secret" → "https://hooks.slack.com/..." */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    const hidden = u.pathname !== "/" || u.search !== "" || u.username !== "" || u.password !== "";
    return `${u.protocol}//${u.host}${hidden ? "/..." : "/"}`;
  } catch {
    return "(invalid webhook URL)";
  }
}

function isHttpUrl(url: string): boolean {
  try {
    const p = new URL(url).protocol;
    return p === "http:" || p === "https:";
  } catch {
    return false;
  }
}

function describeFetchError(e: unknown, timeoutMs: number): string {
  if (e instanceof Error && (e.name === "TimeoutError" || e.name === "AbortError")) return `timed out after ${timeoutMs} ms`;
  const cause = e instanceof Error ? (e.cause as { code?: unknown; message?: unknown } | undefined) : undefined;
  const why = typeof cause?.code === "string" ? cause.code : typeof cause?.message === "string" ? cause.message : null;
  return why ? `${errorText(e)} (${why})` : errorText(e);
}

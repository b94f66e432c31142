// Idle enforcement for one running container.
// Pure: everything comes in as arguments; the result says what to do and what to remember.
import { DEFAULT_KEEPALIVE_FILE } from "../constants/keepalive.js";
import { isHighDemand } from "./high-demand.js";
import type { ObservedContainer } from "../model/container.js";
import type { ContainerRecord } from "../model/record.js";
import { formatDuration, HOUR_MS, MINUTE_MS, SECOND_MS } from "../util/duration.js";
import { readIdleSignals, type IdleReading } from "./idle-signals.js";
import { at, describeSignals, keepIdleAliveHint } from "./notice-text.js";
import type { PlannedAction, PolicyView, Skip, SkipWhy, Snapshot } from "./plan-types.js";

export const IDLE_WARN_AT = 0.8;
export const IDLE_FINAL_WARN_AT = 0.95;

export interface IdleOutcome {
  record: ContainerRecord;
  actions: PlannedAction[];
  skip: Skip | null;
  /** For `ds01 explain`. */
  reading: IdleReading | null;
  timeoutS: number | null;
  highDemand: boolean;
  idleForS: number | null;
  next: { kind: "warn" | "final_warn" | "stop"; at: number } | null;
}

export interface IdleContext {
  snapshot: Snapshot;
  policies: PolicyView;
  /** allocated GPU-equivalents / total ≥ threshold, computed once per pass. */
  highDemandRatio: number | null;
}

function skipOf(c: ObservedContainer, why: SkipWhy, detail: string): Skip {
  return { containerId: c.id, container: c.name, why, detail };
}

/** `rec` must be the caller's own fresh copy (observeRecord makes one): its idle fields are updated in place. */
export function assessIdle(ctx: IdleContext, c: ObservedContainer, rec: ContainerRecord): IdleOutcome {
  const { snapshot, policies } = ctx;
  const now = snapshot.now;
  const policy = policies.forOwner(c.identity.owner);
  const p = policy.policies;
  const base: IdleOutcome = { record: rec, actions: [], skip: null, reading: null, timeoutS: null, highDemand: false, idleForS: null, next: null };
  const skip = (why: SkipWhy, detail: string, extra: Partial<IdleOutcome> = {}): IdleOutcome => ({ ...base, ...extra, skip: skipOf(c, why, detail) });

  if (c.identity.infrastructure) return skip("protected", c.identity.infrastructureReason ?? "infrastructure");
  if (p.idle_applies_to === "gpu" && !c.identity.hasGpu) return skip("no_gpu", "holds no GPU");
  if (c.identity.type === "devcontainer") return skip("devcontainer", "devcontainers are exempt from idle stops (max runtime still applies)");
  const baseTimeoutS = policies.effectiveTimeouts(policy, c.identity.type).idleTimeoutS;
  if (baseTimeoutS === null) return skip("within_limits", `no idle timeout for type ${c.identity.type}`);
  const graceMs = p.grace_period_m * MINUTE_MS;
  if (c.startedAt !== null && now - c.startedAt < graceMs) {
    return skip("grace", `started ${formatDuration(now - c.startedAt)} ago; grace ${formatDuration(graceMs)}`, { next: null });
  }

  const reading = readIdleSignals(c, snapshot.activity.get(c.id), snapshot.gpus, snapshot.gpuUtilMax, p);
  const r = rec; // the caller's fresh copy (observeRecord): updated in place, no second copy
  if (reading.verdict === "active") {
    r.idleStreak = 0;
    r.idleSince = null;
    r.idleWarnedAt = null;
    r.idleFinalWarnedAt = null;
    r.idleNoticeAt = null;
  } else if (reading.verdict === "idle") {
    r.idleStreak += 1;
    r.idleSince ??= now;
  } // unknown: the streak neither grows nor resets

  const highDemand = isHighDemand(ctx.highDemandRatio, p.high_demand_threshold, ctx.snapshot.gpuQueueWaiting ?? 0);
  const timeoutS = highDemand ? baseTimeoutS * p.high_demand_idle_reduction : baseTimeoutS;
  const timeoutMs = timeoutS * SECOND_MS;
  const idleForMs = r.idleSince === null ? null : now - r.idleSince;
  const out: IdleOutcome = { ...base, record: r, reading, timeoutS, highDemand, idleForS: idleForMs === null ? null : idleForMs / SECOND_MS };

  if (reading.verdict !== "idle" || idleForMs === null) {
    return { ...out, skip: skipOf(c, "active", `${reading.verdict}: ${describeSignals(reading)}`) };
  }
  if (r.idleStreak < p.idle_detection_window) {
    return { ...out, skip: skipOf(c, "within_limits", `idle streak ${r.idleStreak} of ${p.idle_detection_window} observations`) };
  }

  const idleSince = r.idleSince as number;
  const group = `idle:${c.id}`;
  const who = { containerId: c.id, container: c.name, user: c.identity.owner, group };
  // Built only when an action needs them: most idle containers are simply within their limits.
  const details = () => ({
    idle_for_s: Math.round(idleForMs / SECOND_MS),
    idle_timeout_s: timeoutS,
    high_demand: highDemand,
    idle_streak: r.idleStreak,
    window: p.idle_detection_window,
    gpu: reading.gpu,
    cpu: reading.cpu,
    network: reading.network,
  });
  const why = () => `idle for ${formatDuration(idleForMs)}: ${describeSignals(reading)}${highDemand ? "; high demand halves the timeout" : ""}`;
  const minLeadMs = p.min_warning_lead_m * MINUTE_MS;
  const stopDue = idleSince + timeoutMs;

  const exemption = policies.exemptionFor(policy, "idle_timeout_h");
  if (exemption) {
    if (idleForMs >= IDLE_WARN_AT * timeoutMs && r.idleNoticeAt === null) {
      out.actions.push({
        ...who,
        kind: "notice",
        reason: "idle",
        summary: `exempt user's container idle ${formatDuration(idleForMs)} (FYI only)`,
        details: { ...details(), exemption },
        marks: { idleNoticeAt: now },
        notice: {
          severity: "notice",
          title: `IDLE CONTAINER NOTICE (FYI only, you are exempt): ${c.name}`,
          body: `${c.name} has been ${why()}. You are exempt from idle stops (${exemption.reason ?? "no reason given"}${exemption.expires_on ? `, until ${exemption.expires_on}` : ", permanent"}), so nothing will happen. Please stop it if you no longer need the GPU.`,
        },
      });
    }
    return { ...out, skip: skipOf(c, "exempt", `exempt from idle stops: ${exemption.reason ?? "no reason given"}`) };
  }

  let ka: KeepaliveState | null = null;
  const keepalive = () => (ka ??= keepaliveState(snapshot, c, r, p.keepalive_max_duration_h, now));
  const hint = () => keepIdleAliveHint(c.name, p.keepalive_file ?? DEFAULT_KEEPALIVE_FILE, p.keepalive_max_duration_h);

  // One step per check: a container that jumps past several thresholds still gets each warning at its own check.
  if (idleForMs >= IDLE_WARN_AT * timeoutMs && r.idleWarnedAt === null) {
    const stopAt = Math.max(stopDue, now + minLeadMs);
    out.actions.push({
      ...who,
      kind: "warn",
      reason: "idle",
      summary: `idle ${formatDuration(idleForMs)} of ${formatDuration(timeoutMs)}: first warning`,
      details: { ...details(), stop_not_before: stopAt, keepalive: keepalive().text },
      marks: { idleWarnedAt: now },
      notice: {
        severity: "warning",
        title: `IDLE CONTAINER WARNING: ${c.name}`,
        body: `${c.name} has been ${why()}. It will be stopped and removed at about ${at(stopAt)} (idle timeout ${formatDuration(timeoutMs)}), and its GPU given to others.${keepalive().text ? ` ${keepalive().text}` : ""} ${hint()}`,
      },
    });
    return { ...out, next: { kind: "final_warn", at: Math.max(idleSince + IDLE_FINAL_WARN_AT * timeoutMs, now + 1) } };
  }
  if (idleForMs >= IDLE_FINAL_WARN_AT * timeoutMs && r.idleWarnedAt !== null && r.idleWarnedAt < now && r.idleFinalWarnedAt === null) {
    const stopAt = Math.max(stopDue, r.idleWarnedAt + minLeadMs, now + 1);
    out.actions.push({
      ...who,
      kind: "final_warn",
      reason: "idle",
      summary: `idle ${formatDuration(idleForMs)} of ${formatDuration(timeoutMs)}: final warning`,
      details: { ...details(), stop_not_before: stopAt, keepalive: keepalive().text },
      marks: { idleFinalWarnedAt: now },
      notice: {
        severity: "final_warning",
        title: `FINAL IDLE WARNING, STOPPING SOON: ${c.name}`,
        body: `${c.name} has been ${why()}. It will be stopped and removed at the next check after ${at(stopAt)}.${keepalive().text ? ` ${keepalive().text}` : ""} ${hint()}`,
      },
    });
    return { ...out, next: { kind: "stop", at: stopAt } };
  }
  const warnedEnough =
    r.idleWarnedAt !== null && r.idleFinalWarnedAt !== null && r.idleFinalWarnedAt < now && now - r.idleWarnedAt >= minLeadMs;
  if (idleForMs >= timeoutMs && warnedEnough) {
    if (keepalive().active) {
      return { ...out, skip: skipOf(c, "keepalive", keepalive().text ?? "keep-alive") };
    }
    const grace = policies.effectiveTimeouts(policy, c.identity.type).sigtermGraceS;
    const stopNotice = {
      severity: "stopped" as const,
      title: `CONTAINER AUTO-STOPPED (idle): ${c.name}`,
      body: `${c.name} has been ${why()}, past its idle timeout of ${formatDuration(timeoutMs)}. It is being stopped now (SIGTERM, ${grace}s to save work, then SIGKILL) and removed; its GPU is released.${keepalive().text ? ` ${keepalive().text}` : ""} Your files under bind mounts are kept; start a new container when you need a GPU again.`,
    };
    out.actions.push(
      { ...who, kind: "stop", reason: "idle", summary: `idle ${formatDuration(idleForMs)} ≥ ${formatDuration(timeoutMs)}: stop`, details: { ...details(), keepalive: keepalive().text }, graceS: grace, notice: stopNotice },
      { ...who, kind: "remove", reason: "idle", summary: "remove after idle stop", details: {} },
      ...c.identity.gpus.map((g): PlannedAction => ({ ...who, kind: "release_gpu", reason: "idle", summary: `release ${g}`, details: {}, gpuUuid: g })),
    );
    return out;
  }
  const next = nextIdleStep(r, idleSince, timeoutMs, minLeadMs, now);
  return { ...out, next, skip: skipOf(c, "within_limits", `idle ${formatDuration(idleForMs)} of ${formatDuration(timeoutMs)}`) };
}

function nextIdleStep(r: ContainerRecord, idleSince: number, timeoutMs: number, minLeadMs: number, now: number): IdleOutcome["next"] {
  if (r.idleWarnedAt === null) return { kind: "warn", at: idleSince + IDLE_WARN_AT * timeoutMs };
  if (r.idleFinalWarnedAt === null) return { kind: "final_warn", at: Math.max(idleSince + IDLE_FINAL_WARN_AT * timeoutMs, now + 1) };
  return { kind: "stop", at: Math.max(idleSince + timeoutMs, r.idleWarnedAt + minLeadMs, now + 1) };
}

interface KeepaliveState {
  active: boolean;
  text: string | null;
}

/** How far ahead of the host's clock a keep-alive file may be dated (clock skew) and still count. */
const KEEPALIVE_SKEW_MS = 5 * 60_000;

/** The keep-alive file (`keepalive_file`) younger than keepalive_max_duration_h, or `ds01 keepalive` until a time. */
export function keepaliveState(s: Snapshot, c: ObservedContainer, r: ContainerRecord, maxH: number | null, now: number): KeepaliveState {
  if (r.keepaliveUntil !== null && r.keepaliveUntil > now) {
    return { active: true, text: `Kept alive by \`ds01 keepalive\` until ${at(r.keepaliveUntil)}.` };
  }
  const mtime = s.keepaliveMtime.get(c.id);
  if (mtime === undefined) return { active: false, text: null };
  // The owner sets the file's time (`touch -d`): one far ahead would postpone the stop for good.
  if (mtime - now > KEEPALIVE_SKEW_MS) {
    return { active: false, text: `The keep-alive file is dated in the future (${at(mtime)}), so it is ignored; touch it without a date to renew it.` };
  }
  const age = Math.max(0, now - mtime);
  if (maxH === null || age < maxH * HOUR_MS) {
    const until = maxH === null ? "" : ` until ${at(mtime + maxH * HOUR_MS)}`;
    return { active: true, text: `The keep-alive file postpones the stop${until}.` };
  }
  return { active: false, text: `The keep-alive file is ${formatDuration(age)} old, older than the ${formatDuration(maxH * HOUR_MS)} it is honoured for, so it is ignored; touch it again to renew it.` };
}

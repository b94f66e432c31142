// Max-runtime enforcement for one running container.
// Runtime counts across restarts (records.ts), so `docker restart` does not reset it.
import type { ObservedContainer } from "../model/container.js";
import type { ContainerRecord } from "../model/record.js";
import { formatDuration, MINUTE_MS, SECOND_MS } from "../util/duration.js";
import { at } from "./notice-text.js";
import type { PlannedAction, PolicyView, Skip, SkipWhy } from "./plan-types.js";
import { runtimeMs } from "./records.js";

export const RUNTIME_WARN_AT = 0.75;
export const RUNTIME_FINAL_WARN_AT = 0.9;

export interface RuntimeOutcome {
  actions: PlannedAction[];
  skip: Skip | null;
  runtimeS: number | null;
  limitS: number | null;
  next: { kind: "warn" | "final_warn" | "stop"; at: number } | null;
}

export function assessRuntime(policies: PolicyView, c: ObservedContainer, rec: ContainerRecord, now: number): RuntimeOutcome {
  const policy = policies.forOwner(c.identity.owner);
  const p = policy.policies;
  const out: RuntimeOutcome = { actions: [], skip: null, runtimeS: null, limitS: null, next: null };
  const skip = (why: SkipWhy, detail: string): RuntimeOutcome => ({ ...out, skip: { containerId: c.id, container: c.name, why, detail } });

  if (c.identity.infrastructure) return skip("protected", c.identity.infrastructureReason ?? "infrastructure");
  if (p.idle_applies_to === "gpu" && !c.identity.hasGpu) return skip("no_gpu", "holds no GPU");
  const t = policies.effectiveTimeouts(policy, c.identity.type);
  const ran = runtimeMs(rec, c, now);
  out.limitS = t.maxRuntimeS;
  out.runtimeS = ran === null ? null : ran / SECOND_MS;
  if (t.maxRuntimeS === null || ran === null) return skip("within_limits", `no max runtime for type ${c.identity.type}`);
  const limitMs = t.maxRuntimeS * SECOND_MS;
  const group = `runtime:${c.id}`;
  const who = { containerId: c.id, container: c.name, user: c.identity.owner, group };
  const details = { runtime_s: Math.round(ran / SECOND_MS), max_runtime_s: t.maxRuntimeS, restarts_banked_s: Math.round(rec.runtimeAccumulatedMs / SECOND_MS) };
  const r = rec;

  const exemption = policies.exemptionFor(policy, "max_runtime_h");
  if (exemption) {
    // Audited once per container, not at every pass (the original repeated it every pass).
    if (ran >= RUNTIME_WARN_AT * limitMs && r.runtimeExemptAuditedAt === null) {
      out.actions.push({
        ...who,
        kind: "notice",
        reason: "max_runtime",
        summary: `exempt from max runtime (${exemption.reason ?? "no reason"})`,
        details: { ...details, exemption },
        marks: { runtimeExemptAuditedAt: now },
        notice: {
          severity: "notice",
          title: `MAX RUNTIME NOTICE (FYI only, you are exempt): ${c.name}`,
          body: `${c.name} has run for ${formatDuration(ran)} of the usual ${formatDuration(limitMs)} limit. You are exempt (${exemption.reason ?? "no reason given"}${exemption.expires_on ? `, until ${exemption.expires_on}` : ", permanent"}), so it will not be stopped.`,
        },
      });
    }
    return { ...out, skip: { containerId: c.id, container: c.name, why: "exempt", detail: `exempt from max runtime: ${exemption.reason ?? ""}` } };
  }

  const minLeadMs = p.min_warning_lead_m * MINUTE_MS;
  const stopDue = now - ran + limitMs; // the moment runtime reaches the limit
  const prevent = "Save your work and checkpoint; stop it yourself when done, or ask an admin for a max-runtime exemption.";
  if (ran >= RUNTIME_WARN_AT * limitMs && r.runtimeWarnedAt === null) {
    const stopAt = Math.max(stopDue, now + minLeadMs);
    out.actions.push({
      ...who, kind: "warn", reason: "max_runtime", summary: `runtime ${formatDuration(ran)} of ${formatDuration(limitMs)}: first warning`,
      details: { ...details, stop_not_before: stopAt }, marks: { runtimeWarnedAt: now },
      notice: { severity: "warning", title: `MAX RUNTIME WARNING: ${c.name}`, body: `${c.name} has run for ${formatDuration(ran)}; its limit is ${formatDuration(limitMs)} (type ${c.identity.type}). It will be stopped at about ${at(stopAt)}. ${prevent}` },
    });
    return { ...out, next: { kind: "final_warn", at: Math.max(stopDue - (1 - RUNTIME_FINAL_WARN_AT) * limitMs, now + 1) } };
  }
  if (ran >= RUNTIME_FINAL_WARN_AT * limitMs && r.runtimeWarnedAt !== null && r.runtimeWarnedAt < now && r.runtimeFinalWarnedAt === null) {
    const stopAt = Math.max(stopDue, r.runtimeWarnedAt + minLeadMs, now + 1);
    out.actions.push({
      ...who, kind: "final_warn", reason: "max_runtime", summary: `runtime ${formatDuration(ran)} of ${formatDuration(limitMs)}: final warning`,
      details: { ...details, stop_not_before: stopAt }, marks: { runtimeFinalWarnedAt: now },
      notice: { severity: "final_warning", title: `FINAL RUNTIME WARNING, STOPPING SOON: ${c.name}`, body: `${c.name} has run for ${formatDuration(ran)} of its ${formatDuration(limitMs)} limit. It will be stopped at the next check after ${at(stopAt)}. ${prevent}` },
    });
    return { ...out, next: { kind: "stop", at: stopAt } };
  }
  const warnedEnough = r.runtimeWarnedAt !== null && r.runtimeFinalWarnedAt !== null && r.runtimeFinalWarnedAt < now && now - r.runtimeWarnedAt >= minLeadMs;
  if (ran >= limitMs && warnedEnough) {
    // Stopped, not removed: the stale cleanup removes it after the owner's hold.
    out.actions.push({
      ...who, kind: "stop", reason: "max_runtime", summary: `runtime ${formatDuration(ran)} ≥ ${formatDuration(limitMs)}: stop`, details, graceS: t.sigtermGraceS,
      notice: { severity: "stopped", title: `CONTAINER STOPPED, RUNTIME LIMIT: ${c.name}`, body: `${c.name} has run for ${formatDuration(ran)}, past its ${formatDuration(limitMs)} limit. It is being stopped now (SIGTERM, ${t.sigtermGraceS}s to save work). It will be removed after your stopped-container hold; restarting it does not reset the runtime count.` },
    });
    return { ...out };
  }
  const next: RuntimeOutcome["next"] =
    r.runtimeWarnedAt === null ? { kind: "warn", at: stopDue - (1 - RUNTIME_WARN_AT) * limitMs }
    : r.runtimeFinalWarnedAt === null ? { kind: "final_warn", at: Math.max(stopDue - (1 - RUNTIME_FINAL_WARN_AT) * limitMs, now + 1) }
    : { kind: "stop", at: Math.max(stopDue, r.runtimeWarnedAt + minLeadMs, now + 1) };
  return { ...out, next, skip: { containerId: c.id, container: c.name, why: "within_limits", detail: `ran ${formatDuration(ran)} of ${formatDuration(limitMs)}` } };
}

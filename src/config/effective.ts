// What one container is held to: its owner's resolved policy applied to its type.
import type { ContainerType } from "../model/container.js";
import type { ActiveExemption, EffectiveTimeouts, Enforcement, ResolvedPolicy } from "../model/policy.js";

const hoursToS = (h: number | null): number | null => (h === null ? null : Math.round(h * 3_600_000) / 1000);

/**
 * Seconds (null = never). A type listed in the policy's container_types (every known type is) uses its
 * values; any other type string uses the user's own idle_timeout_h / max_runtime_h; `infrastructure`
 * is never timed out. SIGTERM grace: the type's sigterm_grace_s, then policies.sigterm_grace_s (60).
 */
export function effectiveTimeouts(policy: ResolvedPolicy, type: ContainerType | string): EffectiveTimeouts {
  if (type === "infrastructure") {
    return { idleTimeoutS: null, maxRuntimeS: null, sigtermGraceS: policy.container_types[type]?.sigterm_grace_s ?? policy.policies.sigterm_grace_s };
  }
  const ct = Object.hasOwn(policy.container_types, type) ? policy.container_types[type] : undefined;
  return {
    idleTimeoutS: hoursToS(ct ? ct.idle_timeout_h : policy.limits.idle_timeout_h),
    maxRuntimeS: hoursToS(ct ? ct.max_runtime_h : policy.limits.max_runtime_h),
    sigtermGraceS: ct?.sigterm_grace_s ?? policy.policies.sigterm_grace_s,
  };
}

/** The first active exemption (at the time the policy was resolved) covering `enforcement`, or null. */
export function exemptionFor(policy: ResolvedPolicy, enforcement: Enforcement): ActiveExemption | null {
  return policy.exemptions.find((e) => e.exempt_from.includes(enforcement)) ?? null;
}

/**
 * How long an exited container is kept, in seconds (null = kept forever): container_hold_after_stop_h;
 * for a container holding a GPU, the shorter of that and gpu_hold_after_stop_h.
 */
export function containerHoldS(policy: ResolvedPolicy, hasGpu: boolean): number | null {
  const c = policy.limits.container_hold_after_stop_h;
  if (!hasGpu) return hoursToS(c);
  const g = policy.limits.gpu_hold_after_stop_h;
  if (c === null) return hoursToS(g);
  if (g === null) return hoursToS(c);
  return hoursToS(Math.min(c, g));
}

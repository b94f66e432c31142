import { describe, expect, it } from "vitest";
import type { ResolvedPolicy } from "../model/policy.js";
import { BUILTIN_LIMITS, BUILTIN_POLICIES } from "./builtin-defaults.js";
import { containerHoldS, effectiveTimeouts, exemptionFor } from "./effective.js";

function policy(over: { limits?: Partial<ResolvedPolicy["limits"]>; container_types?: ResolvedPolicy["container_types"]; exemptions?: ResolvedPolicy["exemptions"]; sigterm?: number } = {}): ResolvedPolicy {
  return {
    user: "u",
    group: "g",
    group_source: "default",
    limits: { ...BUILTIN_LIMITS, ...over.limits },
    aggregate: null,
    policies: { ...BUILTIN_POLICIES, sigterm_grace_s: over.sigterm ?? 60 },
    container_types: over.container_types ?? {},
    exemptions: over.exemptions ?? [],
  };
}

describe("effectiveTimeouts", () => {
  it.each([
    ["listed type uses its values, null = never", { docker: { idle_timeout_h: null, max_runtime_h: 2, sigterm_grace_s: 9 } }, "docker", { idleTimeoutS: null, maxRuntimeS: 7200, sigtermGraceS: 9 }],
    ["unlisted type uses the user's values and policies' grace", {}, "atomic", { idleTimeoutS: 1800, maxRuntimeS: 86400, sigtermGraceS: 60 }],
    ["infrastructure is never timed out", { infrastructure: { idle_timeout_h: 1, max_runtime_h: 1, sigterm_grace_s: 3 } }, "infrastructure", { idleTimeoutS: null, maxRuntimeS: null, sigtermGraceS: 3 }],
    ["fractions keep sub-second precision", { docker: { idle_timeout_h: 0.002, max_runtime_h: 0.0001, sigterm_grace_s: 1 } }, "docker", { idleTimeoutS: 7.2, maxRuntimeS: 0.36, sigtermGraceS: 1 }],
    ["prototype names are not types", {}, "constructor", { idleTimeoutS: 1800, maxRuntimeS: 86400, sigtermGraceS: 60 }],
  ] as const)("%s", (_n, types, type, expected) => {
    expect(effectiveTimeouts(policy({ container_types: types as ResolvedPolicy["container_types"] }), type)).toEqual(expected);
  });
});

describe("containerHoldS", () => {
  it.each([
    [0.5, 0.25, false, 1800],
    [0.5, 0.25, true, 900],
    [0.1, 0.25, true, 360],
    [null, 0.25, false, null],
    [null, 0.25, true, 900],
    [0.5, null, true, 1800],
    [null, null, true, null],
  ] as const)("container %s h, gpu %s h, gpu=%s → %s s", (c, g, gpu, expected) => {
    expect(containerHoldS(policy({ limits: { container_hold_after_stop_h: c, gpu_hold_after_stop_h: g } }), gpu)).toBe(expected);
  });
});

describe("exemptionFor", () => {
  it("the first active exemption covering the enforcement, else null", () => {
    const p = policy({
      exemptions: [
        { exempt_from: ["max_runtime_h"], reason: "a", expires_on: null },
        { exempt_from: ["idle_timeout_h", "max_runtime_h"], reason: "b", expires_on: null },
      ],
    });
    expect(exemptionFor(p, "max_runtime_h")?.reason).toBe("a");
    expect(exemptionFor(p, "idle_timeout_h")?.reason).toBe("b");
    expect(exemptionFor(policy(), "idle_timeout_h")).toBeNull();
  });
});

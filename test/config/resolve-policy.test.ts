// resolvePolicy and its helpers over real config directories: merge order, null, membership rules,
// exemptions at a given time, per-type timeouts, holds, the strictest policy for unknown owners.
import { afterAll, describe, expect, it } from "vitest";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { containerHoldS, effectiveTimeouts, exemptionFor } from "../../src/config/effective.js";
import { configFingerprint } from "../../src/config/fingerprint.js";
import { loadConfig } from "../../src/config/load-config.js";
import { resolvePolicy, strictestPolicy } from "../../src/config/resolve-policy.js";
import { configDir, removeConfigDirs } from "./config-dir.js";

afterAll(removeConfigDirs);

const LIMITS = `default_group: student
defaults:
  max_gpu_equivalents: 1
  max_cpus: 8
  memory: 8g
  idle_timeout_h: 0.5
  max_runtime_h: 24
  gpu_hold_after_stop_h: 0.25
  container_hold_after_stop_h: 0.5
groups:
  student:
    members: [inline-student]
    max_gpu_equivalents: 2
    policies: { cpu_idle_threshold: 2.5, idle_detection_window: 3 }
    aggregate: { gpu_limit: 2, memory_max: 64G }
  researcher:
    max_gpu_equivalents: 4
    max_cpus: 16
    idle_timeout_h: 1
    max_runtime_h: null
    policies: { cpu_idle_threshold: 3, idle_detection_window: 4 }
    aggregate: { gpu_limit: 4 }
    container_types:
      docker: { max_runtime_h: 96 }
  admin:
    max_gpu_equivalents: null
    container_hold_after_stop_h: null
    gpu_hold_after_stop_h: 2
    idle_timeout_h: 0.002
policies:
  cpu_idle_threshold: 2
  sigterm_grace_s: 20
  grace_period_m: 30
container_types:
  devcontainer: { idle_timeout_h: null, max_runtime_h: 168, sigterm_grace_s: 5 }
  docker: { idle_timeout_h: 0.25, max_runtime_h: 48 }
  compose: { max_runtime_h: 72 }
`;

const FILES = {
  "resource-limits.yaml": LIMITS,
  "groups/student.members": "both\nalice_smith\n",
  "groups/researcher.members": "# researchers\nrita\nboth   # also a student: student is listed first\n",
  "groups/admin.members": "root\n",
  "user-overrides.yaml": [
    "rita:",
    "  max_cpus: 32",
    "  max_runtime_h: 10",
    "  policies: { cpu_idle_threshold: 9 }",
    "  aggregate: { memory_max: 1T }",
    "olga:",
    "  group: researcher",
    "  idle_timeout_h: null",
    "nico:",
    "  aggregate: null",
    "",
  ].join("\n"),
  "lifecycle-exemptions.yaml": [
    "exemptions:",
    "  - username: rita",
    "    exempt_from: [idle_timeout_h]",
    "    reason: thesis",
    "    expires_on: 2026-03-01T00:00:00Z",
    "  - username: rita",
    "    exempt_from: [max_runtime_h, idle_timeout_h]",
    "    reason: grant",
    "    expires_on: null",
    "  - username: alice.smith@uni.example",
    "    exempt_from: [max_runtime_h]",
    "    reason: raw name only",
    "    expires_on: 2026-03-01",
    "",
  ].join("\n"),
};

const BEFORE = Date.parse("2026-02-28T23:59:59Z");
const AFTER = Date.parse("2026-03-01T00:00:00Z");

describe("resolution order: built-in → defaults → group → user override, key by key", () => {
  it("a group member gets the group's keys over defaults, and defaults for the rest", async () => {
    const p = resolvePolicy(await loadConfig(configDir(FILES)), "inline-student", BEFORE);
    expect(p.group).toBe("student");
    expect(p.group_source).toBe("members");
    expect(p.limits).toMatchObject({ max_gpu_equivalents: 2, max_cpus: 8, memory: "8g", idle_timeout_h: 0.5, gpu_limit: 2, pids_limit: 4096 });
    expect(p.policies).toMatchObject({ cpu_idle_threshold: 2.5, idle_detection_window: 3, sigterm_grace_s: 20, gpu_idle_threshold: 5 });
  });

  it("an override is merged over the group, deep (policies and aggregate too)", async () => {
    const p = resolvePolicy(await loadConfig(configDir(FILES)), "rita", AFTER);
    expect(p.group).toBe("researcher");
    expect(p.group_source).toBe("members");
    expect(p.limits).toMatchObject({ max_cpus: 32, max_runtime_h: 10, max_gpu_equivalents: 4, idle_timeout_h: 1, memory: "8g", gpu_limit: 4 });
    expect(p.policies).toMatchObject({ cpu_idle_threshold: 9, idle_detection_window: 4 });
  });

  it("an override's group: places the user in that group", async () => {
    const p = resolvePolicy(await loadConfig(configDir(FILES)), "olga", AFTER);
    expect(p).toMatchObject({ group: "researcher", group_source: "override" });
    expect(p.limits).toMatchObject({ max_gpu_equivalents: 4, idle_timeout_h: null, max_cpus: 16 });
  });

  it("aggregate: null in an override clears the group's aggregate caps", async () => {
    const c = await loadConfig(configDir(FILES));
    expect(resolvePolicy(c, "nico", AFTER).limits.gpu_limit).toBeNull();
    expect(resolvePolicy(c, "nico", AFTER).group).toBe("student");
  });

  it("someone listed nowhere gets the default group", async () => {
    const p = resolvePolicy(await loadConfig(configDir(FILES)), "zed", AFTER);
    expect(p).toMatchObject({ user: "zed", group: "student", group_source: "default" });
  });
});

describe("membership", () => {
  it("a user in several groups belongs to the first one in YAML order", async () => {
    expect(resolvePolicy(await loadConfig(configDir(FILES)), "both", AFTER).group).toBe("student");
  });

  it("a members file and the inline members: list are both read", async () => {
    const c = await loadConfig(configDir(FILES));
    expect(c.groups[0]!.members).toEqual(["both", "alice_smith", "inline-student"]);
  });

  it("matches the sanitised name (alice.smith@uni.example → alice_smith)", async () => {
    const p = resolvePolicy(await loadConfig(configDir(FILES)), "alice.smith@uni.example", AFTER);
    expect(p.group).toBe("student");
    expect(p.group_source).toBe("members");
  });
});

describe("null always means no limit / never", () => {
  it.each([
    ["root", "max_gpu_equivalents", null],
    ["root", "container_hold_after_stop_h", null],
    ["rita", "max_runtime_h", 10],
    ["both", "max_runtime_h", 24],
  ] as const)("%s: %s = %s", async (user, key, value) => {
    expect(resolvePolicy(await loadConfig(configDir(FILES)), user, AFTER).limits[key]).toBe(value);
  });

  it("a group's null beats a default's value, and a container type's null is 'never' (not 0.5 h / 48 h)", async () => {
    const c = await loadConfig(configDir(FILES));
    const researcher = resolvePolicy(c, "olga", AFTER);
    expect(effectiveTimeouts(researcher, "atomic")).toEqual({ idleTimeoutS: null, maxRuntimeS: null, sigtermGraceS: 20 });
    expect(effectiveTimeouts(researcher, "devcontainer")).toEqual({ idleTimeoutS: null, maxRuntimeS: 168 * 3600, sigtermGraceS: 5 });
  });
});

describe("effectiveTimeouts", () => {
  it.each([
    // [user, type, idle s, runtime s, grace s]
    ["both", "docker", 900, 48 * 3600, 20], // type block wins; grace falls back to policies.sigterm_grace_s
    ["both", "compose", 1800, 72 * 3600, 20], // block without idle_timeout_h: the user's own idle timeout
    ["both", "atomic", 1800, 24 * 3600, 20], // no block: the user's own values
    ["both", "orchestration", 1800, 24 * 3600, 20],
    ["both", "some-new-type", 1800, 24 * 3600, 20], // any other string: the user's own values
    ["both", "infrastructure", null, null, 20],
    ["rita", "docker", 900, 96 * 3600, 20], // the researcher group's container_types.docker.max_runtime_h
    ["root", "atomic", 7.2, 24 * 3600, 20], // idle_timeout_h: 0.002
  ] as const)("%s / %s", async (user, type, idle, runtime, grace) => {
    const p = resolvePolicy(await loadConfig(configDir(FILES)), user, AFTER);
    expect(effectiveTimeouts(p, type)).toEqual({ idleTimeoutS: idle, maxRuntimeS: runtime, sigtermGraceS: grace });
  });

  it("sigterm grace is 60 when neither the type nor policies set it", async () => {
    const c = await loadConfig(configDir({ "resource-limits.yaml": "groups:\n  student: {}\n" }));
    expect(effectiveTimeouts(resolvePolicy(c, "x", 0), "docker").sigtermGraceS).toBe(60);
  });
});

describe("exemptions, evaluated at a given time", () => {
  it("before expiry both entries are active, in file order; after it only the permanent one", async () => {
    const c = await loadConfig(configDir(FILES));
    const before = resolvePolicy(c, "rita", BEFORE);
    expect(before.exemptions).toEqual([
      { exempt_from: ["idle_timeout_h"], reason: "thesis", expires_on: "2026-03-01T00:00:00.000Z" },
      { exempt_from: ["max_runtime_h", "idle_timeout_h"], reason: "grant", expires_on: null },
    ]);
    expect(exemptionFor(before, "idle_timeout_h")?.reason).toBe("thesis");
    const after = resolvePolicy(c, "rita", AFTER);
    expect(after.exemptions.map((e) => e.reason)).toEqual(["grant"]);
    expect(exemptionFor(after, "idle_timeout_h")?.reason).toBe("grant");
  });

  it("match the exact user name only (no sanitising), and a date alone expires at 00:00 UTC", async () => {
    const c = await loadConfig(configDir(FILES));
    expect(resolvePolicy(c, "alice_smith", BEFORE).exemptions).toEqual([]);
    const p = resolvePolicy(c, "alice.smith@uni.example", BEFORE);
    expect(exemptionFor(p, "max_runtime_h")?.expires_on).toBe("2026-03-01T00:00:00.000Z");
    expect(exemptionFor(p, "idle_timeout_h")).toBeNull();
    expect(resolvePolicy(c, "alice.smith@uni.example", AFTER).exemptions).toEqual([]);
  });
});

describe("containerHoldS", () => {
  it.each([
    ["both", false, 1800],
    ["both", true, 900], // GPU: the shorter of the two holds
    ["root", false, null], // container_hold_after_stop_h: null = kept
    ["root", true, 7200], // GPU hold still applies to GPU containers
  ] as const)("%s, gpu=%s → %s", async (user, gpu, expected) => {
    expect(containerHoldS(resolvePolicy(await loadConfig(configDir(FILES)), user, AFTER), gpu)).toBe(expected);
  });
});

describe("strictestPolicy (owner unknown)", () => {
  it("takes the smallest finite timeout and hold over defaults and every group, and no exemptions", async () => {
    const p = strictestPolicy(await loadConfig(configDir(FILES)), AFTER);
    expect(p.group).toBe("strictest");
    expect(p.exemptions).toEqual([]);
    expect(p.limits).toMatchObject({ idle_timeout_h: 0.002, max_runtime_h: 24, gpu_hold_after_stop_h: 0.25, container_hold_after_stop_h: 0.5 });
    expect(p.container_types.docker).toEqual({ idle_timeout_h: 0.25, max_runtime_h: 48, sigterm_grace_s: 20 });
    expect(p.container_types.atomic!.idle_timeout_h).toBe(0.002);
    expect(p.policies.grace_period_m).toBe(30);
  });
});

describe("configFingerprint", () => {
  it("changes when a config file or a members file changes, and not otherwise", async () => {
    const dir = configDir(FILES);
    const a = await configFingerprint(dir);
    expect(await configFingerprint(dir)).toBe(a);
    writeFileSync(join(dir, "groups/student.members"), "both\nalice_smith\nnew-user\n");
    const b = await configFingerprint(dir);
    expect(b).not.toBe(a);
    writeFileSync(join(dir, "groups/faculty.members"), "x\n");
    expect(await configFingerprint(dir)).not.toBe(b);
  });
});

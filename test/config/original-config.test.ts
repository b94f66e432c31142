// The original DS01's shipped resource-limits.yaml (reconstructed in fixtures/original) and our bundled
// default both resolve to the original's per-group values; what differs by design is asserted apart.
import { afterAll, describe, expect, it } from "vitest";
import { join } from "node:path";
import { loadConfig } from "../../src/config/load-config.js";
import { resolvePolicy } from "../../src/config/resolve-policy.js";
import { BUNDLED, FIXTURES, configDir, removeConfigDirs } from "./config-dir.js";

afterAll(removeConfigDirs);

const AT = Date.parse("2026-01-15T12:00:00Z");
const MEMBERS = {
  "groups/student.members": "s1\n",
  "groups/researcher.members": "r1\n",
  "groups/faculty.members": "f1\n",
  "groups/admin.members": "a1  # maintained by hand\n",
};

// the original's effective values: group | gpueq | slots/ctr | aggregate gpu_limit | cpus | mem | shm | max ctrs | runtime h | idle h | gpu hold h | ctr hold h | cpu idle % | window
const TABLE = [
  ["s1", "student", 2.0, 2, 2.0, 32, "32g", "16g", 3, 24, 0.5, 0.25, 0.5, 2.0, 3],
  ["r1", "researcher", 4.0, 3, 4.0, 48, "64g", "32g", 5, 48, 1, 0.25, 0.5, 3.0, 4],
  ["f1", "faculty", 4.0, 4, 4.0, 64, "128g", "64g", 5, 72, 2, 0.25, 0.5, 3.0, 4],
  // admin: the original printed null as 999; null stays null (= unlimited) here. No aggregate block = no cap.
  ["a1", "admin", null, null, null, 64, "128g", "64g", 10, 24, 1, 1, 0.5, 2.0, 3],
  ["someone-else", "student", 2.0, 2, 2.0, 32, "32g", "16g", 3, 24, 0.5, 0.25, 0.5, 2.0, 3],
] as const;

describe.each([
  ["the original's resource-limits.yaml", join(FIXTURES, "original")],
  ["the bundled default", BUNDLED],
])("%s", (_name, source) => {
  it("loads without errors or warnings", async () => {
    const c = await loadConfig(configDir(MEMBERS, source));
    expect(c.warnings.map((w) => w.message)).toEqual([]);
    expect(c.groups.map((g) => g.name)).toEqual(["student", "researcher", "faculty", "admin"]);
    expect(c.defaultGroup).toBe("student");
  });

  it.each(TABLE)("%s resolves to the original's values (%s)", async (user, group, gpueq, slots, gpuLimit, cpus, mem, shm, ctrs, runtime, idle, gpuHold, ctrHold, cpuIdle, window) => {
    const c = await loadConfig(configDir(MEMBERS, source));
    const p = resolvePolicy(c, String(user), AT);
    expect(p.group).toBe(group);
    expect(p.group_source).toBe(user === "someone-else" ? "default" : "members");
    expect(p.limits).toMatchObject({
      max_gpu_equivalents: gpueq,
      max_gpu_slots_per_container: slots,
      gpu_limit: gpuLimit,
      max_cpus: cpus,
      memory: mem,
      shm_size: shm,
      max_containers_per_user: ctrs,
      max_runtime_h: runtime,
      idle_timeout_h: idle,
      gpu_hold_after_stop_h: gpuHold,
      container_hold_after_stop_h: ctrHold,
      allow_full_gpu: true,
      pids_limit: 4096,
    });
    expect(p.policies).toMatchObject({ cpu_idle_threshold: cpuIdle, idle_detection_window: window, gpu_idle_threshold: 5, network_idle_threshold: 1048576 });
    expect(p.policies).toMatchObject({ grace_period_m: 30, keepalive_max_duration_h: 24, sigterm_grace_s: 60, high_demand_threshold: 0.8, high_demand_idle_reduction: 0.5, created_container_timeout_m: 30 });
    expect(p.container_types.devcontainer).toEqual({ idle_timeout_h: null, max_runtime_h: 168, sigterm_grace_s: 30 });
    expect(p.container_types.compose).toEqual({ idle_timeout_h: 0.5, max_runtime_h: 72, sigterm_grace_s: 45 });
    expect(p.container_types.docker).toEqual({ idle_timeout_h: 0.5, max_runtime_h: 48, sigterm_grace_s: 60 });
    // Changes by design (docs/config.md): api's null idle timeout is "never" (the original used 0.25 h), its 24 h runtime applies.
    expect(p.container_types.api).toEqual({ idle_timeout_h: null, max_runtime_h: 24, sigterm_grace_s: 30 });
    expect(p.container_types.unknown).toEqual({ idle_timeout_h: 0.25, max_runtime_h: 24, sigterm_grace_s: 30 });
    // ds01-managed types follow the user's own limits, as in the original.
    expect(p.container_types.atomic).toEqual({ idle_timeout_h: idle, max_runtime_h: runtime, sigterm_grace_s: 60 });
  });
});

describe("semantic changes against the original (docs/config.md)", () => {
  it("a user override merges over the user's group (the original dropped the group's values)", async () => {
    const dir = configDir({ ...MEMBERS, "user-overrides.yaml": "r1:\n  max_gpu_equivalents: 6\n  policies:\n    cpu_idle_threshold: 9\n" }, join(FIXTURES, "original"));
    const p = resolvePolicy(await loadConfig(dir), "r1", AT);
    expect(p.group).toBe("researcher"); // the original reported group "override"
    expect(p.limits.max_gpu_equivalents).toBe(6);
    expect(p.limits.max_cpus).toBe(48); // researcher's, not defaults' 32
    expect(p.limits.max_runtime_h).toBe(48);
    expect(p.limits.gpu_limit).toBe(4); // researcher's aggregate kept
    expect(p.policies.cpu_idle_threshold).toBe(9);
    expect(p.policies.idle_detection_window).toBe(4); // researcher's, not the global 3
  });
});

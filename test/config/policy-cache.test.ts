// cachedPolicy: the gate's per-config cache of resolved policies. It must answer exactly what
// resolvePolicy answers, at every time: an entry lasts until the first of its exemptions expires,
// a reloaded config (a new object) starts afresh, and nobody can change a cached policy.
import { afterAll, describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config/load-config.js";
import { cachedPolicy } from "../../src/config/policy-cache.js";
import { resolvePolicy } from "../../src/config/resolve-policy.js";
import { configDir, removeConfigDirs } from "./config-dir.js";

afterAll(removeConfigDirs);

const FILES = {
  "resource-limits.yaml": `default_group: student
defaults:
  max_cpus: 8
  idle_timeout_h: 0.5
groups:
  student:
    members: [sam]
    aggregate: { memory_max: 64G }
  researcher:
    members: [rita]
    max_cpus: 16
`,
  "user-overrides.yaml": "rita:\n  max_cpus: 32\n",
  "lifecycle-exemptions.yaml": [
    "exemptions:",
    "  - username: rita",
    "    exempt_from: [idle_timeout_h]",
    "    reason: thesis",
    "    expires_on: 2026-03-01T00:00:00Z",
    "  - username: rita",
    "    exempt_from: [max_runtime_h]",
    "    reason: grant",
    "    expires_on: 2026-04-01T00:00:00Z",
    "",
  ].join("\n"),
};

const MARCH = Date.parse("2026-03-01T00:00:00Z");
const APRIL = Date.parse("2026-04-01T00:00:00Z");

describe("cachedPolicy", () => {
  it("answers what resolvePolicy answers, for every user, on both sides of each exemption's expiry", async () => {
    const c = await loadConfig(configDir(FILES));
    // Times in order and out of order (a clock that steps back must not see a stale entry's future).
    const times = [MARCH - 1, MARCH, MARCH + 1, APRIL - 1, APRIL, APRIL + 86_400_000, MARCH - 5, APRIL - 5];
    for (const at of times) for (const user of ["rita", "sam", "nobody"]) expect(cachedPolicy(c, user, at)).toEqual(resolvePolicy(c, user, at));
  });

  it("keeps one object while nothing can change it, and reads again once an exemption has expired", async () => {
    const c = await loadConfig(configDir(FILES));
    const first = cachedPolicy(c, "rita", MARCH - 10);
    expect(cachedPolicy(c, "rita", MARCH - 1)).toBe(first);
    expect(first.exemptions.map((e) => e.reason)).toEqual(["thesis", "grant"]);
    const after = cachedPolicy(c, "rita", MARCH);
    expect(after).not.toBe(first);
    expect(after.exemptions.map((e) => e.reason)).toEqual(["grant"]);
    expect(cachedPolicy(c, "rita", APRIL).exemptions).toEqual([]);
  });

  it("starts afresh for a reloaded config (a new object)", async () => {
    const dir = configDir(FILES);
    const a = await loadConfig(dir);
    const b = await loadConfig(dir);
    expect(cachedPolicy(a, "sam", 0)).not.toBe(cachedPolicy(b, "sam", 0));
    expect(cachedPolicy(a, "sam", 0)).toEqual(cachedPolicy(b, "sam", 0));
  });

  it("hands out frozen policies: one caller cannot change what the next one reads", async () => {
    const c = await loadConfig(configDir(FILES));
    const p = cachedPolicy(c, "sam", 0);
    expect(() => {
      (p.limits as { max_cpus: number | null }).max_cpus = 999;
    }).toThrow(TypeError);
    expect(() => {
      (p.aggregate as { memory_max: string | null }).memory_max = null;
    }).toThrow(TypeError);
    expect(cachedPolicy(c, "sam", 0).limits.max_cpus).toBe(8);
  });

  it("keeps at most 1024 users per config, dropping the oldest, and answers right for every one", async () => {
    const c = await loadConfig(configDir(FILES));
    const first = cachedPolicy(c, "u0", 0);
    for (let i = 1; i <= 1024; i++) cachedPolicy(c, `u${i}`, 0);
    expect(cachedPolicy(c, "u1024", 0)).toBe(cachedPolicy(c, "u1024", 0));
    const again = cachedPolicy(c, "u0", 0);
    expect(again).not.toBe(first); // dropped, resolved again
    expect(again).toEqual(resolvePolicy(c, "u0", 0));
  });
});

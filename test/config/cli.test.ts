// ds01 config check | config resolve | exempt add|list|remove, run in-process through main() with a
// captured context; exit codes and exact output lines.
import { afterAll, describe, expect, it } from "vitest";
import { mkdirSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { runCli, ROOT } from "../helpers/cli.js";
import { locateConfigDir } from "../../src/config/locate-config-dir.js";
import { fixedClock } from "../../src/util/clock.js";
import { BUNDLED, FIXTURES, MINIMAL, configDir, removeConfigDirs } from "./config-dir.js";

afterAll(removeConfigDirs);

const NOW = Date.parse("2026-02-01T12:00:00Z");

function ds01(argv: string[], env: NodeJS.ProcessEnv = {}) {
  return runCli(argv, { ...ROOT, env, clock: fixedClock(NOW) });
}

const ORIGINAL = join(FIXTURES, "original");
const members = { "groups/student.members": "s1\ns2\n", "groups/researcher.members": "r1\n", "groups/admin.members": "a1\n" };

describe("ds01 config check", () => {
  it("valid: exit 0, one summary line, warnings on stderr", async () => {
    const dir = configDir({ ...members, "user-overrides.yaml": "r1:\n  cpus: 4\nx: {}\n", "lifecycle-exemptions.yaml": "exemptions:\n  - {username: s1, exempt_from: [idle_timeout_h], reason: r}\n" }, ORIGINAL);
    const r = await ds01(["--config", dir, "config", "check"]);
    expect(r.code).toBe(0);
    expect(r.out).toBe(`config OK: ${dir} — 4 groups, 4 users, 2 overrides, 1 exemption (1 warning)\n`);
    expect(r.err).toBe(`${dir}/user-overrides.yaml:2:3: warning: r1.cpus: legacy key "cpus" is deprecated; rename it to "max_cpus"\n`);
  });

  it("invalid: exit 2, one FILE:LINE:COLUMN: error: KEY.PATH: message line per problem, then the count, on stderr", async () => {
    const dir = configDir({
      "resource-limits.yaml": `${MINIMAL}defaults:\n  idle_timeout_h: "soon"\n  max_runtime_h: -3\n`,
      "groups/staff.members": "a\n",
      "lifecycle-exemptions.yaml": "exemptions:\n  - {username: a, exempt_from: [idle], expires_on: someday}\n",
    });
    const r = await ds01(["--config", dir, "config", "check"]);
    expect(r.code).toBe(2);
    expect(r.out).toBe("");
    expect(r.err.split("\n").filter(Boolean)).toEqual([
      `${dir}/resource-limits.yaml:5:19: error: defaults.idle_timeout_h: expected a number of hours or null (never), got "soon"`,
      `${dir}/resource-limits.yaml:6:18: error: defaults.max_runtime_h: must not be negative (got -3); write null for never`,
      `${dir}/groups/staff.members:1:1: error: groups.staff: unknown group "staff": resource-limits.yaml has no such group (groups: student)`,
      `${dir}/lifecycle-exemptions.yaml:2:52: error: exemptions[0].expires_on: cannot read the date "someday" (expected ISO-8601 like 2026-03-31 or 2026-03-31T18:00:00Z, or null for permanent)`,
      `config INVALID: ${dir} — 4 errors, 0 warnings`,
    ]);
  });

  it("malformed YAML: exit 2 with the position, no crash", async () => {
    const dir = configDir({ "resource-limits.yaml": "groups:\n  student: {\n" });
    const r = await ds01(["--config", dir, "config", "check"]);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(new RegExp(`^${dir}/resource-limits\\.yaml:\\d+:\\d+: error: groups(\\.student)?: `));
  });

  it("--json gives one document", async () => {
    const r = await ds01(["--config", ORIGINAL, "config", "check", "--json"]);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.out)).toMatchObject({ ok: true, dir: ORIGINAL, source: "flag", groups: 4, users: 0, warnings: [], errors: [] });
  });

  it("a missing --config directory: exit 2", async () => {
    const r = await ds01(["--config", "/nonexistent/ds01-config", "config", "check"]);
    expect(r.code).toBe(2);
    expect(r.err).toBe("ds01: --config /nonexistent/ds01-config: does not exist\n");
  });

  it("DS01_CONFIG_DIR is used when --config is absent", async () => {
    const r = await ds01(["config", "check"], { DS01_CONFIG_DIR: ORIGINAL });
    expect(r.code).toBe(0);
    expect(r.out).toContain(`config OK: ${ORIGINAL} — 4 groups`);
  });
});

describe("ds01 config resolve", () => {
  const dir = () => configDir({ ...members, "lifecycle-exemptions.yaml": "exemptions:\n  - username: r1\n    exempt_from: [max_runtime_h]\n    reason: grant\n    expires_on: 2026-03-01\n" }, ORIGINAL);

  it("--json: user, group, limits, policies, container_types, exemptions with the original key names", async () => {
    const r = await ds01(["--config", dir(), "config", "resolve", "r1", "--json"]);
    expect(r.code).toBe(0);
    const j = JSON.parse(r.out);
    expect(j).toMatchObject({ user: "r1", group: "researcher" });
    expect(j.limits).toMatchObject({ max_gpu_equivalents: 4, idle_timeout_h: 1, max_runtime_h: 48, gpu_hold_after_stop_h: 0.25, container_hold_after_stop_h: 0.5, max_containers_per_user: 5, max_cpus: 48, memory: "64g" });
    expect(Object.keys(j.policies)).toEqual(expect.arrayContaining(["gpu_idle_threshold", "cpu_idle_threshold", "network_idle_threshold", "idle_detection_window", "grace_period_m", "keepalive_max_duration_h", "sigterm_grace_s", "high_demand_threshold", "high_demand_idle_reduction", "created_container_timeout_m"]));
    expect(j.container_types.devcontainer).toEqual({ idle_timeout_h: null, max_runtime_h: 168, sigterm_grace_s: 30 });
    expect(j.aggregate).toEqual({ cpu_quota: expect.any(String), memory_max: expect.any(String), memory_high: expect.any(String), tasks_max: expect.any(Number) });
    expect(j.exemptions).toEqual([{ exempt_from: ["max_runtime_h"], reason: "grant", expires_on: "2026-03-01T00:00:00.000Z" }]);
  });

  it("--at evaluates exemptions at that time", async () => {
    const r = await ds01(["--config", dir(), "config", "resolve", "r1", "--json", "--at", "2026-03-01T00:00:01Z"]);
    expect(JSON.parse(r.out).exemptions).toEqual([]);
    const bad = await ds01(["--config", dir(), "config", "resolve", "r1", "--at", "tomorrow"]);
    expect(bad.code).toBe(2);
    expect(bad.err).toContain("--at");
  });

  it("readable text without --json", async () => {
    const r = await ds01(["--config", dir(), "config", "resolve", "a1"]);
    expect(r.code).toBe(0);
    expect(r.out).toContain("group: admin (listed in the group's members)");
    expect(r.out).toMatch(/max_gpu_equivalents\s+null \(no limit\)/);
    expect(r.out).toMatch(/devcontainer\s+never\s+168h\s+30s/);
    expect(r.out).toContain("aggregate (all the user's containers together):\n  none\n"); // admin: no aggregate block
  });

  it("an invalid config: exit 2 with the problems", async () => {
    const d = configDir({ "resource-limits.yaml": `${MINIMAL}defaults:\n  idle_timeout_h: x\n` });
    const r = await ds01(["--config", d, "config", "resolve", "u"]);
    expect(r.code).toBe(2);
    expect(r.err).toContain(`${d}/resource-limits.yaml:5:19: defaults.idle_timeout_h:`);
  });

  it("needs exactly one user", async () => {
    expect((await ds01(["--config", ORIGINAL, "config", "resolve"])).code).toBe(2);
  });
});

describe("bounded numbers", () => {
  it("config check: every duration has an upper bound, reported with file:line", async () => {
    const limits = `${MINIMAL}gpu:\n  probe_timeout_s: 1e10\ndaemon:\n  sample_interval_s: 2592000\n  pass_interval_s: 1e300\nnotifications:\n  webhook_timeout_s: 86400\npolicies:\n  sigterm_grace_s: 1e9\n  grace_period_m: 1e12\ndefaults:\n  max_runtime_h: 1e15\n`;
    const dir = configDir({ "resource-limits.yaml": limits });
    const r = await ds01(["--config", dir, "config", "check"]);
    expect(r.code).toBe(2);
    const f = `${dir}/resource-limits.yaml`;
    expect(r.err).toMatch(new RegExp(`${f}:5:\\d+: error: gpu\\.probe_timeout_s: must be at most \\d+ seconds`));
    expect(r.err).toMatch(new RegExp(`${f}:7:\\d+: error: daemon\\.sample_interval_s: must be at most \\d+ seconds`));
    for (const key of ["daemon.pass_interval_s", "notifications.webhook_timeout_s", "policies.sigterm_grace_s", "policies.grace_period_m", "defaults.max_runtime_h"]) {
      expect(r.err).toContain(`${key}: must be at most`);
    }
  });

  it("command-line durations: too long is a clear error, empty is an error", async () => {
    const dir = configDir({ ...members, "lifecycle-exemptions.yaml": "exemptions: []\n" }, ORIGINAL);
    const e = await ds01(["--config", dir, "exempt", "add", "s1", "--from", "idle_timeout_h", "--reason", "r", "--expires", "9999999999d"]);
    expect(e.code).toBe(2);
    expect(e.err).toMatch(/--expires: "9999999999d" is too long/);
    const s = await ds01(["--config", dir, "--state-dir", dir, "events", "--since", "99999999999999d"]);
    expect(s.code).toBe(2);
    expect(s.err).toMatch(/--since: "99999999999999d" is too long/);
    const k = await ds01(["--config", dir, "--state-dir", dir, "keepalive", "box", "--for", ""]);
    expect(k.code).toBe(2);
    expect(k.err).toMatch(/--for: "" is not a duration/);
  });
});

describe("ds01 exempt", () => {
  const EXEMPTIONS = `# Exemptions — keep this comment
exemptions:
  # the first one
  - username: bob   # bob's entry
    exempt_from: [max_runtime_h]
    reason: long job
    expires_on: null
`;

  it("add: appends an entry, keeps comments, is readable by config resolve, writes atomically", async () => {
    const dir = configDir({ ...members, "lifecycle-exemptions.yaml": EXEMPTIONS }, ORIGINAL);
    const r = await ds01(["--config", dir, "exempt", "add", "s1", "--from", "idle_timeout_h,max_runtime_h", "--reason", "thesis: final runs", "--expires", "7d", "--approved-by", "prof"]);
    expect(r.err).toBe("");
    expect(r.code).toBe(0);
    expect(r.out).toBe("added exemption for s1 from idle_timeout_h, max_runtime_h until 2026-02-08T12:00:00Z\n");
    const text = readFileSync(join(dir, "lifecycle-exemptions.yaml"), "utf8");
    expect(text).toContain("# Exemptions — keep this comment");
    expect(text).toContain("# the first one");
    expect(text).toContain("# bob's entry");
    expect(text).toContain('expires_on: "2026-02-08T12:00:00Z"');
    expect(text).toContain('approved_on: "2026-02-01"');
    expect(readdirSync(dir).filter((f) => f.endsWith(".tmp"))).toEqual([]);
    const resolved = JSON.parse((await ds01(["--config", dir, "config", "resolve", "s1", "--json"])).out);
    expect(resolved.exemptions).toEqual([{ exempt_from: ["idle_timeout_h", "max_runtime_h"], reason: "thesis: final runs", expires_on: "2026-02-08T12:00:00.000Z" }]);
  });

  it("add again for the same user and enforcements updates the entry instead of shadowing it", async () => {
    const dir = configDir({ ...members, "lifecycle-exemptions.yaml": EXEMPTIONS }, ORIGINAL);
    const r = await ds01(["--config", dir, "exempt", "add", "bob", "--from", "max_runtime_h", "--reason", "renewed", "--expires", "2026-06-30"]);
    expect(r.code).toBe(0);
    expect(r.out).toContain("updated exemption for bob");
    const list = JSON.parse((await ds01(["--config", dir, "exempt", "list", "--json"])).out);
    expect(list.exemptions).toHaveLength(1);
    expect(list.exemptions[0]).toMatchObject({ username: "bob", reason: "renewed", expires_on: "2026-06-30T00:00:00.000Z", active: true });
  });

  it("list: table and JSON, with expired entries marked", async () => {
    const dir = configDir({ "lifecycle-exemptions.yaml": `${EXEMPTIONS}  - {username: old, exempt_from: [idle], reason: gone, expires_on: 2025-01-01}\n` }, ORIGINAL);
    const j = JSON.parse((await ds01(["--config", dir, "exempt", "list", "--json"])).out);
    expect(j.exemptions.map((e: { username: string; active: boolean }) => [e.username, e.active])).toEqual([["bob", true], ["old", false]]);
    const t = await ds01(["--config", dir, "exempt", "list"]);
    expect(t.out).toMatch(/^USER +FROM +EXPIRES +STATUS +REASON\nbob +max_runtime_h +never +active +long job\nold +idle_timeout_h +2025-01-01T00:00:00.000Z +expired +gone\n$/);
  });

  it("remove --from drops one enforcement; remove without it drops the entries; nothing to remove = exit 1", async () => {
    const dir = configDir({ "lifecycle-exemptions.yaml": `${EXEMPTIONS}  - {username: s1, exempt_from: [idle_timeout_h, max_runtime_h], reason: r}\n` }, ORIGINAL);
    expect((await ds01(["--config", dir, "exempt", "remove", "s1", "--from", "idle_timeout_h"])).code).toBe(0);
    let list = JSON.parse((await ds01(["--config", dir, "exempt", "list", "--json"])).out);
    expect(list.exemptions.find((e: { username: string }) => e.username === "s1").exempt_from).toEqual(["max_runtime_h"]);
    expect((await ds01(["--config", dir, "exempt", "remove", "s1"])).code).toBe(0);
    list = JSON.parse((await ds01(["--config", dir, "exempt", "list", "--json"])).out);
    expect(list.exemptions.map((e: { username: string }) => e.username)).toEqual(["bob"]);
    expect(readFileSync(join(dir, "lifecycle-exemptions.yaml"), "utf8")).toContain("# bob's entry");
    const none = await ds01(["--config", dir, "exempt", "remove", "nobody"]);
    expect(none.code).toBe(1);
    expect(none.err).toContain("no exemption for nobody");
  });

  it("list neutralises control characters in reasons; add validates the user name like create", async () => {
    const evil = "exemptions:\n  - {username: s1, exempt_from: [idle_timeout_h], reason: \"x\\e[2J\\e]0;pwned\\a\\nforged  row\"}\n";
    const dir = configDir({ ...members, "lifecycle-exemptions.yaml": evil }, ORIGINAL);
    const r = await ds01(["--config", dir, "exempt", "list"]);
    expect(r.code).toBe(0);
    // eslint-disable-next-line no-control-regex -- matching control characters is the point
    expect(r.out).not.toMatch(/[\u001b\u0007]/);
    expect(r.out.trimEnd().split("\n")).toHaveLength(2);
    expect(r.out).toContain("x\\u001b[2J\\u001b]0;pwned\\u0007\\u000aforged  row");
    for (const bad of ["al ice", "x\u001b[2J", "../etc", ""]) {
      const a = await ds01(["--config", dir, "exempt", "add", bad, "--from", "idle_timeout_h", "--reason", "r"]);
      expect(a.code, bad).toBe(2);
      // eslint-disable-next-line no-control-regex -- matching control characters is the point
      expect(a.err).not.toMatch(/\u001b/);
    }
    expect(readFileSync(join(dir, "lifecycle-exemptions.yaml"), "utf8")).toBe(evil);
  });

  it("creates the file when there is none", async () => {
    const dir = configDir({}, ORIGINAL);
    expect((await ds01(["--config", dir, "exempt", "add", "s1", "--from", "idle", "--reason", "r"])).code).toBe(0);
    expect(readFileSync(join(dir, "lifecycle-exemptions.yaml"), "utf8")).toMatch(/^exemptions:\n {2}- username: s1\n {4}exempt_from: \[ idle_timeout_h \]\n {4}reason: r\n {4}expires_on: null\n/);
  });

  it("refuses a broken existing file (exit 2) and leaves it untouched", async () => {
    const broken = "exemptions:\n  - username: bob\n    exempt_from: [max_runtime_h\n";
    const dir = configDir({ "lifecycle-exemptions.yaml": broken }, ORIGINAL);
    const r = await ds01(["--config", dir, "exempt", "add", "s1", "--from", "idle_timeout_h", "--reason", "r"]);
    expect(r.code).toBe(2);
    expect(r.err).toContain("the file was not changed");
    expect(readFileSync(join(dir, "lifecycle-exemptions.yaml"), "utf8")).toBe(broken);
  });

  it("refuses an edit that leaves the config invalid (an existing entry with a bad date) and writes nothing", async () => {
    const before = `${EXEMPTIONS}  - {username: x, exempt_from: [idle], expires_on: whenever}\n`;
    const dir = configDir({ "lifecycle-exemptions.yaml": before }, ORIGINAL);
    const r = await ds01(["--config", dir, "exempt", "add", "s1", "--from", "idle_timeout_h", "--reason", "r"]);
    expect(r.code).toBe(2);
    expect(r.err).toContain(`${dir}/lifecycle-exemptions.yaml:8:`);
    expect(readFileSync(join(dir, "lifecycle-exemptions.yaml"), "utf8")).toBe(before);
    // removing the bad entry repairs it
    expect((await ds01(["--config", dir, "exempt", "remove", "x"])).code).toBe(0);
  });

  it("refuses to edit the bundled default config", async () => {
    // Only where no /etc/ds01 exists (else this would edit the machine's real config).
    if (locateConfigDir({ configDir: null, env: {} }).source !== "bundled") return;
    const r = await ds01(["exempt", "add", "s1", "--from", "idle_timeout_h", "--reason", "r"]);
    expect(r.code).toBe(2);
    expect(r.err).toContain("refusing to edit the bundled default config");
    expect(r.err).toContain("--config");
  });

  it.each([
    [["--from", "naps", "--reason", "r"], "unknown enforcement"],
    [["--reason", "r"], "--from is required"],
    [["--from", "idle"], "--reason is required"],
    [["--from", "idle", "--reason", "r", "--expires", "2020-01-01"], "not in the future"],
    [["--from", "idle", "--reason", "r", "--expires", "soonish"], "--expires"],
  ])("bad arguments %j → exit 2", async (args, message) => {
    const dir = configDir({}, ORIGINAL);
    const r = await ds01(["--config", dir, "exempt", "add", "s1", ...args]);
    expect(r.code).toBe(2);
    expect(r.err).toContain(message);
  });
});

describe("locateConfigDir", () => {
  it("flag, then env, then /etc/ds01 when it holds resource-limits.yaml, then the bundled default", () => {
    const system = configDir({ "resource-limits.yaml": MINIMAL });
    const empty = configDir({});
    expect(locateConfigDir({ configDir: ORIGINAL, env: { DS01_CONFIG_DIR: system } })).toEqual({ dir: ORIGINAL, source: "flag" });
    expect(locateConfigDir({ configDir: null, env: { DS01_CONFIG_DIR: system } }, { systemDir: empty })).toEqual({ dir: system, source: "env" });
    expect(locateConfigDir({ configDir: null, env: {} }, { systemDir: system })).toEqual({ dir: system, source: "system" });
    expect(locateConfigDir({ configDir: null, env: {} }, { systemDir: empty })).toEqual({ dir: BUNDLED, source: "bundled" });
  });

  it("an explicit directory that is missing or not a directory is invalid input", () => {
    const d = configDir({ "file.txt": "x" });
    expect(() => locateConfigDir({ configDir: join(d, "missing"), env: {} })).toThrow(/does not exist/);
    expect(() => locateConfigDir({ configDir: join(d, "file.txt"), env: {} })).toThrow(/is not a directory/);
    expect(() => locateConfigDir({ configDir: null, env: { DS01_CONFIG_DIR: join(d, "missing") } })).toThrow(/DS01_CONFIG_DIR/);
    mkdirSync(join(d, "sub"));
    writeFileSync(join(d, "sub", "resource-limits.yaml"), MINIMAL);
    expect(locateConfigDir({ configDir: join(d, "sub"), env: {} }).source).toBe("flag");
  });
});

import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { isExported, loadRules, metricRefs } from "./metric-refs.js";
import { repoPath, runTool, skipReason, which } from "./tools.js";

const PROM_DIR = repoPath("deploy/monitoring/prometheus");
const CONFIG = join(PROM_DIR, "prometheus.yml");
const RULE_FILES = readdirSync(join(PROM_DIR, "rules"))
  .filter((f) => f.endsWith(".yml"))
  .map((f) => join(PROM_DIR, "rules", f));
const RULE_TESTS = readdirSync(join(PROM_DIR, "tests"))
  .filter((f) => f.endsWith(".yml"))
  .map((f) => join(PROM_DIR, "tests", f));
const RULES = RULE_FILES.flatMap(loadRules);
const ALERTS = RULES.filter((r) => r.alert);

/** The alerts issue 5 asks for: daemon down, pass stale, GPU probe failing, orphan found, reset failed, high demand. */
const REQUIRED_ALERTS = [
  "DS01DaemonDown",
  "DS01PassStale",
  "DS01GPUProbeFailing",
  "DS01OrphanGPUProcessFound",
  "DS01GPUResetFailed",
  "DS01HighDemandSustained",
];

describe("Prometheus rule files (static)", () => {
  it("has both alert and recording rule files", () => {
    expect(RULE_FILES.map((f) => f.slice(f.lastIndexOf("/") + 1)).sort()).toEqual(["ds01-alerts.yml", "ds01-recording.yml"]);
  });

  it("defines every required alert, each with a severity and summary/description annotations", () => {
    const names = ALERTS.map((a) => a.alert);
    expect(names).toEqual(expect.arrayContaining(REQUIRED_ALERTS));
    expect(new Set(names).size).toBe(names.length);
    for (const a of ALERTS) {
      expect(["critical", "warning", "info"], a.alert).toContain(a.labels?.severity);
      expect(a.annotations?.summary, a.alert).toBeTruthy();
      expect(a.annotations?.description, a.alert).toBeTruthy();
    }
  });

  it("references only metrics in src/constants/metrics.ts and recording rules defined here", () => {
    const recorded = new Set(RULES.flatMap((r) => (r.record ? [r.record] : [])));
    const unknown: string[] = [];
    for (const r of RULES) {
      const refs = metricRefs(r.expr);
      for (const m of refs.metrics) if (!isExported(m)) unknown.push(`${r.alert ?? r.record}: ${m}`);
      for (const m of refs.recorded) if (!recorded.has(m)) unknown.push(`${r.alert ?? r.record}: ${m} (no such recording rule)`);
    }
    expect(unknown).toEqual([]);
    // The check itself catches a wrong name.
    expect(isExported("ds01_gpu_reset_failed_total")).toBe(false);
    expect(isExported("ds01_pass_duration_seconds_bucket")).toBe(true);
  });

  it("pass-stale compares the last pass with three pass intervals", () => {
    const stale = ALERTS.find((a) => a.alert === "DS01PassStale")!;
    expect(stale.expr.replace(/\s+/g, " ")).toContain(
      "time() - ds01_last_successful_pass_timestamp_seconds > 3 * ds01_pass_interval_seconds",
    );
  });

  it("every alert computed from the daemon's metrics carries component=ds01 (Alertmanager mutes them while the daemon is down)", () => {
    for (const a of ALERTS) {
      const fromDaemon = metricRefs(a.expr).metrics.length > 0 || metricRefs(a.expr).recorded.length > 0;
      if (fromDaemon) expect(a.labels?.component, a.alert).toBe("ds01");
    }
  });

  it("the rule unit tests cover every required alert, firing and quiet", () => {
    const firing = new Set<string>();
    const quiet = new Set<string>();
    for (const file of RULE_TESTS) {
      const doc = parse(readFileSync(file, "utf8")) as {
        tests: { alert_rule_test?: { alertname: string; exp_alerts: unknown[] }[] }[];
      };
      for (const t of doc.tests) {
        for (const a of t.alert_rule_test ?? []) (a.exp_alerts.length > 0 ? firing : quiet).add(a.alertname);
      }
    }
    for (const name of REQUIRED_ALERTS) {
      expect(firing.has(name), `${name} fires in a test`).toBe(true);
      expect(quiet.has(name), `${name} stays quiet in a test`).toBe(true);
    }
  });

  it("scrapes the ds01 daemon at its default listen address", () => {
    const cfg = parse(readFileSync(CONFIG, "utf8")) as {
      scrape_configs: { job_name: string; static_configs: { targets: string[] }[] }[];
    };
    const ds01 = cfg.scrape_configs.find((s) => s.job_name === "ds01");
    expect(ds01?.static_configs.flatMap((s) => s.targets)).toEqual(["127.0.0.1:9101"]);
    expect(cfg.scrape_configs.map((s) => s.job_name)).toEqual(expect.arrayContaining(["ds01", "dcgm-exporter", "alertmanager"]));
  });
});

describe(`promtool on the shipped files${skipReason("promtool")}`, () => {
  const has = which("promtool") !== null;
  const tmp = mkdtempSync(join(tmpdir(), "ds01-promtool-"));
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));

  it.skipIf(!has)("promtool check config accepts prometheus.yml and finds both rule files", async () => {
    const r = await runTool("promtool", ["check", "config", CONFIG]);
    expect(r.code, r.all).toBe(0);
    expect(r.all).toContain("SUCCESS: 2 rule files found");
  });

  it.skipIf(!has)("promtool check rules accepts every rule file", async () => {
    const r = await runTool("promtool", ["check", "rules", ...RULE_FILES]);
    expect(r.code, r.all).toBe(0);
    for (const file of RULE_FILES) expect(r.all).toContain(`Checking ${file}\n  SUCCESS: ${loadRules(file).length} rules found`);
  });

  it.skipIf(!has)("promtool check rules rejects a broken rule (the check can fail)", async () => {
    const bad = join(tmp, "bad.yml");
    writeFileSync(bad, "groups:\n  - name: x\n    rules:\n      - alert: Broken\n        expr: rate(ds01_actions_total[5m] > 0\n");
    const r = await runTool("promtool", ["check", "rules", bad]);
    expect(r.code).not.toBe(0);
  });

  it.skipIf(!has)("promtool test rules: the alerts fire on the daemon's metric names", async () => {
    const r = await runTool("promtool", ["test", "rules", ...RULE_TESTS], 60_000);
    expect(r.code, r.all).toBe(0);
    expect(r.all).toContain("SUCCESS");
  });
});

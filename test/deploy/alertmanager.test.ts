import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { loadRules } from "./metric-refs.js";
import { repoPath, runTool, skipReason, which } from "./tools.js";

const FILE = repoPath("deploy/monitoring/alertmanager/alertmanager.yml");
const ALERTS = loadRules(repoPath("deploy/monitoring/prometheus/rules/ds01-alerts.yml")).filter((r) => r.alert);

describe("alertmanager.yml", () => {
  const cfg = parse(readFileSync(FILE, "utf8")) as {
    route: { receiver: string };
    receivers: { name: string; webhook_configs?: { url: string }[] }[];
    inhibit_rules: { source_matchers: string[]; target_matchers: string[] }[];
  };

  it("delivers to one webhook receiver", () => {
    expect(cfg.receivers.map((r) => r.name)).toEqual([cfg.route.receiver]);
    expect(cfg.receivers[0]!.webhook_configs?.[0]?.url).toMatch(/^https?:\/\//);
  });

  it("mutes daemon-derived alerts while the daemon is down, on a label those alerts carry", () => {
    const rule = cfg.inhibit_rules.find((r) => r.source_matchers.includes('alertname="DS01DaemonDown"'));
    expect(rule?.target_matchers).toEqual(['component="ds01"']);
    const muted = ALERTS.filter((a) => a.labels?.component === "ds01").map((a) => a.alert);
    expect(muted).toEqual(expect.arrayContaining(["DS01PassStale", "DS01GPUProbeFailing", "DS01GPUResetFailed"]));
    expect(muted).not.toContain("DS01DaemonDown");
  });
});

describe(`amtool${skipReason("amtool")}`, () => {
  const has = which("amtool") !== null;

  it.skipIf(!has)("amtool check-config accepts the file", async () => {
    const r = await runTool("amtool", ["check-config", FILE]);
    expect(r.code, r.all).toBe(0);
    expect(r.all).toContain("SUCCESS");
  });

  it.skipIf(!has)("routes a critical ds01 alert to the webhook receiver", async () => {
    const r = await runTool("amtool", ["config", "routes", "test", `--config.file=${FILE}`, "severity=critical", "alertname=DS01DaemonDown"]);
    expect(r.code, r.all).toBe(0);
    expect(r.stdout.trim()).toBe("ds01-webhook");
  });
});

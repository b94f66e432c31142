import { readdirSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { dashboardExprs, loadDashboard } from "./dashboards.js";
import { loadRules } from "./metric-refs.js";
import { promGet, startPrometheus, type PrometheusServer } from "./prometheus-server.js";
import { repoPath, skipReason, which } from "./tools.js";

const CONFIG = repoPath("deploy/monitoring/prometheus/prometheus.yml");
const RULES_DIR = repoPath("deploy/monitoring/prometheus/rules");
const RULES = readdirSync(RULES_DIR)
  .filter((f) => f.endsWith(".yml"))
  .flatMap((f) => loadRules(`${RULES_DIR}/${f}`));

interface RulesBody {
  status: string;
  data: { groups: { name: string; file: string; rules: { name: string; type: string; health: string; lastError?: string }[] }[] };
}
interface TargetsBody {
  data: { activeTargets: { labels: Record<string, string>; scrapeUrl: string }[] };
}

// Starts the real server with the shipped prometheus.yml (which loads rules/*.yml beside it).
describe.skipIf(!which("prometheus"))(`a real Prometheus with the shipped config${skipReason("prometheus")}`, () => {
  let prom: PrometheusServer | null = null;

  beforeAll(async () => {
    prom = await startPrometheus({ configFile: CONFIG });
  }, 60_000);

  afterAll(async () => {
    await prom?.stop();
  });

  it("loads every alert and recording rule", async () => {
    const { status, body } = await promGet<RulesBody>(`${prom!.url}/api/v1/rules`);
    expect(status, prom!.log()).toBe(200);
    const loaded = body.data.groups.flatMap((g) => g.rules);
    expect(body.data.groups.map((g) => g.name).sort()).toEqual(["ds01-daemon", "ds01-monitoring", "ds01-recording"]);
    expect(loaded.filter((r) => r.type === "alerting").map((r) => r.name).sort()).toEqual(
      RULES.flatMap((r) => (r.alert ? [r.alert] : [])).sort(),
    );
    expect(loaded.filter((r) => r.type === "recording").map((r) => r.name).sort()).toEqual(
      RULES.flatMap((r) => (r.record ? [r.record] : [])).sort(),
    );
    for (const r of loaded) expect(r.health, `${r.name}: ${r.lastError ?? ""}`).not.toBe("err");
  });

  it("targets the ds01 daemon at 127.0.0.1:9101/metrics", async () => {
    // Static targets appear once the discovery manager's first sync (about 5 s) has run.
    let urls: string[] = [];
    for (const deadline = Date.now() + 20_000; Date.now() < deadline; ) {
      const { body } = await promGet<TargetsBody>(`${prom!.url}/api/v1/targets`);
      urls = body.data.activeTargets.filter((t) => t.labels.job === "ds01").map((t) => t.scrapeUrl);
      if (urls.length > 0) break;
      await new Promise((r) => setTimeout(r, 250));
    }
    expect(urls, prom!.log()).toEqual(["http://127.0.0.1:9101/metrics"]);
  });

  it("accepts every dashboard and rule expression as PromQL", async () => {
    const exprs = [
      ...dashboardExprs(loadDashboard("ds01.json")).map((e) => e.replaceAll("$user", ".*")),
      ...RULES.map((r) => r.expr),
    ].filter((e) => !e.startsWith("label_values("));
    const rejected: string[] = [];
    for (const expr of exprs) {
      const { status, body } = await promGet<{ status: string; error?: string }>(
        `${prom!.url}/api/v1/query?query=${encodeURIComponent(expr)}`,
      );
      if (status !== 200 || body.status !== "success") rejected.push(`${expr}: ${body.error ?? status}`);
    }
    expect(rejected).toEqual([]);
    // The same request does reject bad PromQL.
    const bad = await promGet<{ status: string }>(`${prom!.url}/api/v1/query?query=${encodeURIComponent("sum(ds01_containers")}`);
    expect(bad.body.status).toBe("error");
  });
});

import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { isExported, loadRules, metricRefs } from "./metric-refs.js";
import { dashboardExprs, GRAFANA_DIR, loadDashboard } from "./dashboards.js";
import { repoPath } from "./tools.js";

const GRAFANA = GRAFANA_DIR;
const DASHBOARDS = readdirSync(join(GRAFANA, "dashboards")).filter((f) => f.endsWith(".json"));

const datasource = parse(readFileSync(join(GRAFANA, "provisioning/datasources/prometheus.yaml"), "utf8")) as {
  datasources: { uid: string; type: string; url: string }[];
};

describe("Grafana provisioning", () => {
  it("provides the stack's Prometheus as the datasource", () => {
    expect(datasource.datasources).toHaveLength(1);
    expect(datasource.datasources[0]).toMatchObject({ type: "prometheus", url: "http://127.0.0.1:9090" });
  });

  it("ships at least one dashboard", () => {
    expect(DASHBOARDS).toContain("ds01.json");
  });
});

describe.each(DASHBOARDS)("dashboard %s", (file) => {
  const d = loadDashboard(file);
  const uid = datasource.datasources[0]!.uid;

  it("is valid JSON with a uid, a title and unique panel ids", () => {
    expect(d.uid).toBeTruthy();
    expect(d.title).toBeTruthy();
    const ids = d.panels.map((p) => p.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const p of d.panels) expect(p.gridPos.x + p.gridPos.w, p.title).toBeLessThanOrEqual(24);
  });

  it("covers the fleet, per-user usage, idle GPUs and actions", () => {
    const rows = d.panels.filter((p) => p.type === "row").map((p) => p.title);
    expect(rows).toEqual(["Fleet", "Per-user usage", "Idle GPUs", "Actions"]);
  });

  it("queries only the provisioned datasource, in every panel", () => {
    for (const p of d.panels.filter((p) => p.type !== "row")) {
      expect(p.targets?.length, p.title).toBeGreaterThan(0);
      expect(p.datasource?.uid, p.title).toBe(uid);
      for (const t of p.targets ?? []) expect(t.datasource?.uid ?? uid, p.title).toBe(uid);
    }
  });

  it("queries only metrics in src/constants/metrics.ts and recording rules that exist", () => {
    const recorded = new Set(
      readdirSync(repoPath("deploy/monitoring/prometheus/rules"))
        .flatMap((f) => loadRules(repoPath("deploy/monitoring/prometheus/rules", f)))
        .flatMap((r) => (r.record ? [r.record] : [])),
    );
    const unknown: string[] = [];
    let used = 0;
    for (const expr of dashboardExprs(d)) {
      const refs = metricRefs(expr);
      used += refs.metrics.length + refs.recorded.length;
      for (const m of refs.metrics) if (!isExported(m)) unknown.push(`${m} in ${expr}`);
      for (const m of refs.recorded) if (!recorded.has(m)) unknown.push(`${m} in ${expr}`);
    }
    expect(unknown).toEqual([]);
    expect(used).toBeGreaterThan(10);
  });
});

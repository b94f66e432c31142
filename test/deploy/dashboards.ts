import { readFileSync } from "node:fs";
import { join } from "node:path";
import { repoPath } from "./tools.js";

export const GRAFANA_DIR = repoPath("deploy/monitoring/grafana");

export interface Panel {
  id: number;
  type: string;
  title: string;
  datasource?: { uid: string };
  gridPos: { x: number; y: number; w: number; h: number };
  targets?: { expr: string; datasource?: { uid: string } }[];
}
export interface Dashboard {
  uid: string;
  title: string;
  panels: Panel[];
  templating: { list: { name: string; query: { query: string } | string }[] };
}

/** Every PromQL expression a dashboard runs (panel targets and template variable queries). */
export function dashboardExprs(d: Dashboard): string[] {
  const targets = d.panels.flatMap((p) => (p.targets ?? []).map((t) => t.expr));
  const vars = d.templating.list.map((v) => (typeof v.query === "string" ? v.query : v.query.query));
  return [...targets, ...vars];
}

export function loadDashboard(file: string): Dashboard {
  return JSON.parse(readFileSync(join(GRAFANA_DIR, "dashboards", file), "utf8")) as Dashboard;
}

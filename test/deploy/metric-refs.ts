import { readFileSync } from "node:fs";
import { parse } from "yaml";
import { METRIC } from "../../src/constants/metrics.js";

// Which metric names the deploy files use, and whether ds01 exports them.

const HISTOGRAMS: readonly string[] = [METRIC.passDuration];
const EXPORTED = new Set<string>(Object.values(METRIC));

/** ds01_* metric names and ds01:* recording-rule names in a PromQL expression. */
export function metricRefs(expr: string): { metrics: string[]; recorded: string[] } {
  const metrics = [...expr.matchAll(/\bds01_[a-z0-9_]+/g)].map((m) => m[0]);
  const recorded = [...expr.matchAll(/\bds01:[A-Za-z0-9_:]+/g)].map((m) => m[0]);
  return { metrics: [...new Set(metrics)], recorded: [...new Set(recorded)] };
}

/** True when the daemon exports this series name (histograms: their _bucket/_sum/_count too). */
export function isExported(name: string): boolean {
  if (EXPORTED.has(name)) return true;
  return HISTOGRAMS.some((h) => ["_bucket", "_sum", "_count"].some((s) => name === h + s));
}

export interface Rule {
  alert?: string;
  record?: string;
  expr: string;
  for?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

export function loadRules(file: string): Rule[] {
  const doc = parse(readFileSync(file, "utf8")) as { groups: { name: string; rules: Rule[] }[] };
  return doc.groups.flatMap((g) => g.rules);
}

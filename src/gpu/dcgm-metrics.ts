// dcgm-exporter's Prometheus text → activity per GPU and per MIG GPU instance, and applying it.
// GR_ENGINE_ACTIVE is a ratio 0..1 (→ percent); DEV_GPU_UTIL a percent; a missing series is unknown.
import { TransientError } from "../errors.js";
import type { GpuInventory } from "../model/gpu.js";

export const DCGM_SOURCE = "dcgm_exporter";
export const DCGM_METRIC = { grEngineActive: "DCGM_FI_PROF_GR_ENGINE_ACTIVE", gpuUtil: "DCGM_FI_DEV_GPU_UTIL" } as const;

export interface PromSample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** Activity in percent. Keys: `<parent GPU UUID>` or `<UUID>/<GPU_I_ID>`; without a UUID label, `#<gpu index>`. */
export interface DcgmActivity {
  gpus: Map<string, number>;
  instances: Map<string, number>;
}

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*/;

function fail(line: number, why: string): never {
  throw new TransientError(`dcgm-exporter: line ${line}: ${why}`, DCGM_SOURCE);
}

function parseLabels(s: string, line: number): { labels: Record<string, string>; rest: string } {
  const labels: Record<string, string> = {};
  let i = 1; // after "{"
  for (;;) {
    while (s[i] === " " || s[i] === ",") i++;
    if (s[i] === "}") return { labels, rest: s.slice(i + 1) };
    const key = /^[a-zA-Z_][a-zA-Z0-9_]*/.exec(s.slice(i));
    if (!key || s[i + key[0].length] !== "=" || s[i + key[0].length + 1] !== '"') fail(line, "bad label");
    i += key[0].length + 2;
    let value = "";
    for (; i < s.length && s[i] !== '"'; i++) {
      if (s[i] === "\\") {
        const next = s[++i];
        value += next === "n" ? "\n" : (next ?? "");
      } else value += s[i];
    }
    if (i >= s.length) fail(line, "unterminated label value");
    labels[key[0]] = value;
    i++;
  }
}

/** Prometheus text exposition format, samples only. A line that is not a sample or comment: TransientError. */
export function parsePrometheusText(text: string): PromSample[] {
  const out: PromSample[] = [];
  for (const [n, raw] of text.split("\n").entries()) {
    const line = raw.trim();
    if (line === "" || line.startsWith("#")) continue;
    const name = NAME.exec(line);
    if (!name) fail(n + 1, `not a metric line: ${JSON.stringify(line.slice(0, 80))}`);
    let rest = line.slice(name[0].length);
    let labels: Record<string, string> = {};
    if (rest.startsWith("{")) ({ labels, rest } = parseLabels(rest, n + 1));
    const parts = rest.trim().split(/\s+/);
    if (parts.length < 1 || parts.length > 2 || parts[0] === "") fail(n + 1, "no value");
    const value = Number(parts[0]);
    if (Number.isNaN(value) && parts[0] !== "NaN") fail(n + 1, `value ${JSON.stringify(parts[0])} is not a number`);
    out.push({ name: name[0], labels, value });
  }
  return out;
}

function gpuKey(labels: Record<string, string>): string | null {
  if (labels.UUID) return labels.UUID;
  return labels.gpu !== undefined && /^\d+$/.test(labels.gpu) ? `#${labels.gpu}` : null;
}

/** Activity from a scrape body. Out-of-range or NaN values are skipped (unknown), not clamped. */
export function dcgmActivity(text: string): DcgmActivity {
  const samples = parsePrometheusText(text);
  const gpus = new Map<string, number>();
  const instances = new Map<string, number>();
  // Preferred metric first; the fallback only fills keys the preferred one left unknown.
  for (const [metric, scale] of [
    [DCGM_METRIC.grEngineActive, 100],
    [DCGM_METRIC.gpuUtil, 1],
  ] as const) {
    const seen = new Set<string>();
    for (const s of samples) {
      if (s.name !== metric) continue;
      const g = gpuKey(s.labels);
      const pct = s.value * scale;
      if (g === null || !Number.isFinite(pct) || pct < 0 || pct > 100) continue;
      const gi = s.labels.GPU_I_ID;
      const [map, key] = gi !== undefined && gi !== "" ? [instances, `${g}/${gi}`] : [gpus, g];
      if (map.has(key) && !seen.has(key)) continue;
      seen.add(key);
      map.set(key, pct);
    }
  }
  return { gpus, instances };
}

/**
 * MIG devices get their instance's activity (joined on parent UUID or index + GPU instance id);
 * a full GPU whose nvidia-smi utilisation is unknown gets the GPU-level value.
 */
export function applyDcgmActivity(inventory: GpuInventory, activity: DcgmActivity): GpuInventory {
  const lookup = (map: Map<string, number>, uuid: string, index: number, suffix = ""): number | null =>
    map.get(uuid + suffix) ?? map.get(`#${index}${suffix}`) ?? null;
  return {
    ...inventory,
    gpus: inventory.gpus.map((g) => ({
      ...g,
      utilizationPct: g.utilizationPct ?? (g.migDevices.length === 0 ? lookup(activity.gpus, g.uuid, g.index) : null),
      migDevices: g.migDevices.map((d) => ({
        ...d,
        utilizationPct:
          d.gpuInstanceId === null ? d.utilizationPct : (lookup(activity.instances, g.uuid, g.index, `/${d.gpuInstanceId}`) ?? d.utilizationPct),
      })),
    })),
  };
}

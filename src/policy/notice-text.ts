// Wording of what ds01 tells people. Every notice says what will happen, when, why, and how to prevent it.
import { formatDuration } from "../util/duration.js";
import { isoTime } from "../util/clock.js";
import type { IdleReading, SignalReading } from "./idle-signals.js";

function fmtSignal(name: string, s: SignalReading, unit: string): string {
  const v = s.value === null ? "unknown" : `${Math.round(s.value * 10) / 10}${unit}`;
  return `${name} ${v} (idle below ${s.threshold}${unit})`;
}

export function describeSignals(r: IdleReading): string {
  return [fmtSignal("GPU", r.gpu, "%"), fmtSignal("CPU", r.cpu, "%"), fmtSignal("network", r.network, " B/s")].join(", ");
}

/** `keepaliveFile`: the owner's resolved `keepalive_file` (configurable, so never a fixed path here). */
export function keepIdleAliveHint(name: string, keepaliveFile: string, keepaliveMaxH: number | null): string {
  const cap = keepaliveMaxH === null ? "" : ` (honoured for ${formatDuration(keepaliveMaxH * 3_600_000)})`;
  return `To keep it: use it, or run \`touch ${keepaliveFile}\` inside it${cap}, or \`ds01 keepalive ${name} --for 4h\`, or ask an admin for an exemption.`;
}

export function at(ms: number): string {
  return `${isoTime(ms).slice(0, 16).replace("T", " ")} UTC`;
}

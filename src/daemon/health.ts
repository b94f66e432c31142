// /healthz (pure): "ok", or "degraded" with one reason per problem. Degraded means the daemon runs
// but cannot enforce fully: Docker unreachable (no actions at all), the event stream down (exits
// are only seen by the next pass), the GPU probe failing (GPU signals unknown), its own store
// failing (nothing can be recorded, so nothing is done), passes stale.
// A refused config edit is a warning only: the last good config keeps running.
import { missingGpusText } from "../gpu/missing-gpus.js";
import { isoTime } from "../util/clock.js";

export interface HealthInput {
  now: number;
  startedAt: number;
  passIntervalMs: number;
  /** Why the last pass could not list containers; null when it could (or no pass yet). */
  dockerError: string | null;
  /** Why the Docker event stream is down; null when connected. */
  eventStreamError: string | null;
  /** Why nvidia-smi failed at the last pass or sample; null when it answered or is not installed. */
  gpuError: string | null;
  /** Why the last write to ds01's own store failed; null when it succeeded. */
  storeError?: string | null;
  lastSuccessfulPassAt: number | null;
  passRunningSince: number | null;
  configWarning: string | null;
  /** Attached GPUs the last inventory could not read (0 normally). */
  gpusMissing?: number;
}

export interface HealthReport {
  status: "ok" | "degraded";
  reasons: string[];
  warnings: string[];
  started_at: string;
  last_successful_pass_at: string | null;
  pass_running_since: string | null;
}

export function health(h: HealthInput): HealthReport {
  const reasons: string[] = [];
  if (h.dockerError) reasons.push(`docker unreachable: ${h.dockerError}`);
  if (h.eventStreamError && !h.dockerError) reasons.push(`docker event stream down: ${h.eventStreamError}`);
  if (h.gpuError) reasons.push(`GPU probe failing: ${h.gpuError}`);
  if (h.storeError) reasons.push(`store failing: ${h.storeError}`);
  const staleAfter = 3 * h.passIntervalMs;
  const since = h.lastSuccessfulPassAt ?? h.startedAt;
  if (h.now - since > staleAfter) {
    reasons.push(h.lastSuccessfulPassAt === null ? `no successful pass since the start ${Math.round((h.now - since) / 1000)} s ago` : `last successful pass ${Math.round((h.now - since) / 1000)} s ago (more than 3 pass intervals)`);
  }
  return {
    status: reasons.length ? "degraded" : "ok",
    reasons,
    warnings: [...(h.configWarning ? [h.configWarning] : []), ...(h.gpusMissing ? [missingGpusText(h.gpusMissing)] : [])],
    started_at: isoTime(h.startedAt),
    last_successful_pass_at: h.lastSuccessfulPassAt === null ? null : isoTime(h.lastSuccessfulPassAt),
    pass_running_since: h.passRunningSince === null ? null : isoTime(h.passRunningSince),
  };
}

// `ds01 check` output: the JSON contract of issue 4 and a readable table.
import { gpuOf, pidOf } from "../policy/action-target.js";
import type { PlannedAction } from "../policy/plan-types.js";
import { isoTime } from "../util/clock.js";
import type { PassReport } from "./run-pass.js";

export function reportJson(r: PassReport) {
  return {
    now: isoTime(r.now),
    dry_run: r.dryRun,
    docker_error: r.dockerError,
    gpu_error: r.gpuError,
    actions: r.results.map(({ action: a, executed, error }) => {
      const pid = pidOf(a);
      const gpu = gpuOf(a);
      return {
        kind: a.kind,
        container: a.container,
        container_id: a.containerId,
        user: a.user,
        reason: a.reason,
        executed,
        error,
        summary: a.summary,
        // Only the kinds aimed at a process or a GPU have these keys.
        ...(pid !== null ? { pid } : {}),
        ...(gpu !== null ? { gpu_uuid: gpu } : {}),
      };
    }),
    skipped: r.skipped.map((s) => ({ container: s.container, container_id: s.containerId, why: s.why, detail: s.detail })),
  };
}

export function reportText(r: PassReport): string {
  const lines: string[] = [];
  lines.push(`${r.dryRun ? "Plan (dry run, nothing done)" : "Pass"} at ${isoTime(r.now)}: ${r.results.length} action(s), ${r.skipped.length} container(s) left alone`);
  if (r.dockerError) lines.push(`Docker unavailable, nothing was judged: ${r.dockerError}`);
  if (r.gpuError) lines.push(`GPU probe: ${r.gpuError} (GPU signals unknown this pass)`);
  for (const { action: a, executed, error } of r.results) {
    const state = r.dryRun ? "planned" : executed ? "done" : `FAILED: ${error}`;
    lines.push(`  ${a.kind.padEnd(12)} ${a.reason.padEnd(16)} ${targetOf(a).padEnd(28)} ${a.summary} [${state}]`);
  }
  return lines.join("\n") + "\n";
}

/** What an action is aimed at, in a word: its container, else the process, else the GPU. */
function targetOf(a: PlannedAction): string {
  if (a.container !== null) return a.container;
  return a.kind === "kill_process" ? `pid ${a.pid}` : a.gpuUuid;
}

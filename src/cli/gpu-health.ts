import { executePlan } from "../actions/executor.js";
import { errorText } from "../errors.js";
import { executorDeps, healthActions } from "../pass/run-pass.js";
import { openPassEnv } from "../compose/pass-env.js";
import type { HealthTarget } from "../policy/gpu-health.js";
import { gpuOf, pidOf } from "../policy/action-target.js";
import { acquirePassLock } from "../store/index.js";
import { isoTime } from "../util/clock.js";
import { lockHeldText } from "./lock-held.js";
import { parseCommandArgs, printJson, type CliContext } from "./context.js";
import { SPECS } from "./spec.js";
import { requireSystemAuthority } from "./authority.js";

/** On-demand health check of every GPU: end orphan processes, reset only whole unshared idle GPUs. */
export async function run(ctx: CliContext, argv: string[]): Promise<number> {
  const { values } = parseCommandArgs(argv, SPECS["gpu health"].options);
  const dryRun = values["dry-run"] ?? false;
  if (!dryRun) requireSystemAuthority(ctx, "ds01 gpu health", "`ds01 gpu health --dry-run` shows what it would do.");
  const env = await openPassEnv(ctx, { readonlyStore: dryRun });
  try {
    const lock = dryRun ? null : acquirePassLock(env.stateDir, "ds01 gpu health");
    if (lock && !lock.acquired) {
      ctx.err(`ds01: ${lockHeldText(lock.heldBy, "the GPU health check")}\n`);
      return 1;
    }
    try {
      const now = ctx.clock.now();
      // Nothing checked: "error" with a failing exit code, a "note" on a host without nvidia-smi.
      const none = (message: string, code: number) => {
        if (values.json) printJson(ctx, { now: isoTime(now), dry_run: dryRun, gpus_checked: 0, actions: [], [code ? "error" : "note"]: message });
        ctx.err(`ds01: ${message}\n`);
        return code;
      };
      const inv = await env.deps.probe.inventory();
      if (inv.error) return none(`GPU probe failed, nothing checked: ${inv.error}`, inv.errorKind === "not_found" ? 0 : 1);
      const targets = inv.gpus.map((g): HealthTarget => ({ uuid: g.uuid, why: "on_demand" }));
      let actions;
      try {
        actions = await healthActions(env.deps, targets);
      } catch (e) {
        return none(`cannot check GPUs without Docker: ${errorText(e)}`, 1);
      }
      const exec = executorDeps(env.deps);
      const results = dryRun
        ? actions.map((action) => ({ action, executed: false, error: null }))
        : await executePlan({ now, actions, skipped: [], records: [], forget: [] }, exec);
      const json = {
        now: isoTime(now),
        dry_run: dryRun,
        gpus_checked: targets.length,
        actions: results.map(({ action: a, executed, error }) => ({ kind: a.kind, reason: a.reason, pid: pidOf(a), gpu_uuid: gpuOf(a), summary: a.summary, executed, error })),
      };
      if (values.json) printJson(ctx, json);
      else {
        ctx.out(`${targets.length} GPU(s) checked${dryRun ? " (dry run)" : ""}: ${results.length ? "" : "nothing to do"}\n`);
        for (const r of json.actions) ctx.out(`  ${r.kind.padEnd(12)} ${r.summary} [${dryRun ? "planned" : r.executed ? "done" : `FAILED: ${r.error}`}]\n`);
      }
      return results.some((r) => r.error) ? 1 : 0;
    } finally {
      if (lock?.acquired) lock.lock.release();
    }
  } finally {
    env.close();
  }
}

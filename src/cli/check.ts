import { join } from "node:path";
import { defaultStateDir } from "../store/state-dir.js";
import { startOneShot } from "../compose/one-shot-start.js";
import { parseCommandArgs, printJson, type CliContext } from "./context.js";
import { SPECS } from "./spec.js";
import { requireSystemAuthority } from "./authority.js";

/** How long `check` waits for the daemon's pass (one pass may stop containers with long graces). */
const PASS_WAIT_MS = 15 * 60_000;

/** One full pass (release/health → idle → runtime → cleanup), then exit. For cron users and admins. */
export async function run(ctx: CliContext, argv: string[]): Promise<number> {
  const { values } = parseCommandArgs(argv, SPECS.check.options);
  const dryRun = values["dry-run"] ?? false;
  // A real pass warns and stops everyone's containers: the daemon's job, or root's.
  if (!dryRun) requireSystemAuthority(ctx, "ds01 check", "`ds01 check --dry-run` shows what a pass would do; `ds01 explain <container>` why.");
  if (!dryRun) {
    // While the daemon runs it holds the pass lock: it runs the pass, and this prints it.
    const { askDaemonForPass, CONTROL_SOCKET_FILE } = await import("../daemon/control-socket.js");
    const asked = await askDaemonForPass(join(defaultStateDir(ctx), CONTROL_SOCKET_FILE), PASS_WAIT_MS);
    if (asked) {
      if (!asked.ok) {
        if (values.json) printJson(ctx, { error: `the running ds01 daemon could not run the pass: ${asked.error}` });
        else ctx.err(`ds01: the running ds01 daemon could not run the pass: ${asked.error}\n`);
        return 1;
      }
      if (values.json) printJson(ctx, asked.error === null ? { ...(asked.json as object), run_by: "daemon" } : { error: asked.error, ...(asked.json as object), run_by: "daemon" });
      else ctx.out(`(run by the ds01 daemon)\n${asked.text}`);
      return asked.error === null ? 0 : 1;
    }
  }
  // nvidia-smi runs while the pass's modules load (one-shot-start.ts).
  const started = await startOneShot(ctx);
  const [{ acquirePassLock }, { runPass }, { reportJson, reportText }, { openPassEnv }, { lockHeldText }] = await Promise.all([
    import("../store/pass-lock.js"),
    import("../pass/run-pass.js"),
    import("../pass/report-format.js"),
    import("../compose/pass-env.js"),
    import("./lock-held.js"),
  ]);
  // A dry run reads the store (records, streaks) and writes nothing to it, so it opens it read-only
  // (the caches beside it, the config cache and the inspect cache, are not the store).
  const env = await openPassEnv(ctx, { readonlyStore: dryRun, started });
  try {
    // Dry runs change nothing, so they need no lock; real passes never overlap with the daemon's.
    const lock = dryRun ? null : acquirePassLock(env.stateDir, "ds01 check");
    if (lock && !lock.acquired) {
      ctx.err(`ds01: ${lockHeldText(lock.heldBy, "this check")}\n`);
      return 1;
    }
    try {
      const report = await runPass(env.deps, { dryRun });
      const failedActions = report.results.filter((r) => !r.executed && r.error !== null).length;
      const error = report.dockerError !== null ? `Docker unavailable: ${report.dockerError}` : failedActions > 0 ? `${failedActions} action(s) failed` : null;
      if (values.json) printJson(ctx, error === null ? reportJson(report) : { error, ...reportJson(report) });
      else ctx.out(reportText(report));
      const failed = error !== null;
      return failed ? 1 : 0;
    } finally {
      if (lock?.acquired) lock.lock.release();
    }
  } finally {
    env.close();
  }
}

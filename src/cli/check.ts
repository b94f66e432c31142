import { acquirePassLock } from "../store/index.js";
import { runPass } from "../pass/run-pass.js";
import { reportJson, reportText } from "../pass/report-format.js";
import { openPassEnv } from "../pass/wiring.js";
import { lockHeldText } from "./lock-held.js";
import { parseCommandArgs, printJson, type CliContext } from "./context.js";
import { SPECS } from "./spec.js";

/** One full pass (release/health → idle → runtime → cleanup), then exit. For cron users and admins. */
export async function run(ctx: CliContext, argv: string[]): Promise<number> {
  const { values } = parseCommandArgs(argv, SPECS.check.options);
  const dryRun = values["dry-run"] ?? false;
  const env = await openPassEnv(ctx);
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

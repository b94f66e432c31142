import { resolve } from "node:path";
import { EXIT, RefusedError } from "../errors.js";
import { GATE_ROLLBACK, applyInstall, planInstall } from "../install/install.js";
import { packageRoot } from "../config/locate-config-dir.js";
import type { InstallStep } from "../install/plan.js";
import { parseCommandArgs, printJson, type CliContext } from "./context.js";
import { SPECS } from "./spec.js";

function line(step: InstallStep, dryRun: boolean): string {
  const verb = dryRun && (step.action === "create" || step.action === "update") ? `would ${step.action}` : step.action;
  return `${verb.padEnd(14)} ${step.source.target}${step.note ? `  (${step.note})` : ""}\n`;
}

/**
 * Installs the daemon's systemd unit and the config skeleton (config/default → /etc/ds01, never
 * overwriting an existing file) and makes the state directory. Idempotent. --dry-run prints what it
 * would do and writes nothing.
 */
export async function run(ctx: CliContext, argv: string[]): Promise<number> {
  const { values } = parseCommandArgs(argv, SPECS.install.options);
  const dryRun = values["dry-run"] === true;
  const prefix = resolve(values.prefix);
  if (!dryRun && prefix === "/" && ctx.uid !== 0) {
    throw new RefusedError("ds01 install writes to /etc: run it as root (or try --dry-run, or --prefix DIR)");
  }

  const gate = values.gate === true;
  const plan = await planInstall({ packageRoot: packageRoot(), prefix, gate });
  const steps = dryRun ? plan.steps : await applyInstall(plan);
  const unitWritten = steps.some((s) => s.source.target.endsWith("/ds01.service") && (s.action === "create" || s.action === "update"));
  const next = !dryRun && unitWritten && prefix === "/" ? "systemctl daemon-reload && systemctl enable --now ds01" : null;
  if (values.json) {
    printJson(ctx, {
      dry_run: dryRun,
      prefix,
      dirs: plan.dirs.map((d) => ({ path: d.path, action: d.exists ? "exists" : "mkdir" })),
      files: steps.map((s) => ({ action: s.action, target: s.source.target, note: s.note || null })),
      notes: plan.notes,
      next,
    });
    return EXIT.ok;
  }
  for (const d of plan.dirs) ctx.out(`${(d.exists ? "exists" : dryRun ? "would mkdir" : "mkdir").padEnd(14)} ${d.path}/\n`);
  for (const step of steps) ctx.out(line(step, dryRun));
  for (const note of plan.notes) ctx.err(`ds01: note: ${note}\n`);
  if (dryRun) ctx.out("dry run: nothing was written\n");
  else if (next) ctx.out(`next: ${next}\n`);
  if (gate) {
    ctx.out("gate: dockerd moves to /run/ds01/engine.sock (root only); the gate takes /run/docker.sock for everyone else\n");
    ctx.out("next: systemctl daemon-reload && systemctl restart docker.socket docker && systemctl enable --now ds01-gate && systemctl restart ds01\n");
    ctx.out(`${GATE_ROLLBACK}\n`);
  }
  return EXIT.ok;
}

import { resolve } from "node:path";
import { EXIT, InvalidInputError, RefusedError } from "../errors.js";
import { GATE_ROLLBACK, applyInstall, planInstall } from "../install/install.js";
import { packageRoot } from "../config/locate-config-dir.js";
import type { InstallStep } from "../install/plan.js";
import { parseCommandArgs, type CliContext } from "./context.js";

const USAGE = "ds01 install [--gate] [--dry-run] [--prefix DIR]";

function line(step: InstallStep, dryRun: boolean): string {
  const verb = dryRun && (step.action === "create" || step.action === "update") ? `would ${step.action}` : step.action;
  return `${verb.padEnd(14)} ${step.source.target}${step.note ? `  (${step.note})` : ""}\n`;
}

/**
 * Installs the daemon's systemd unit and the config skeleton (config/default → /etc/ds01, never
 * overwriting an existing file). Idempotent. --dry-run prints what it would write and writes nothing.
 */
export async function run(ctx: CliContext, argv: string[]): Promise<number> {
  const { values, positionals } = parseCommandArgs(
    argv,
    { "dry-run": { type: "boolean", default: false }, prefix: { type: "string", default: "/" }, gate: { type: "boolean", default: false } },
    USAGE,
  );
  if (positionals.length > 0) throw new InvalidInputError(`unexpected argument "${positionals[0]}"\nusage: ${USAGE}`);
  const dryRun = values["dry-run"] === true;
  const prefix = resolve(values.prefix as string);
  if (!dryRun && prefix === "/" && ctx.uid !== 0) {
    throw new RefusedError("ds01 install writes to /etc: run it as root (or try --dry-run, or --prefix DIR)");
  }

  const gate = values.gate === true;
  const plan = await planInstall({ packageRoot: packageRoot(), prefix, gate });
  const steps = dryRun ? plan.steps : await applyInstall(plan);
  for (const step of steps) ctx.out(line(step, dryRun));
  for (const note of plan.notes) ctx.err(`ds01: note: ${note}\n`);

  const unitWritten = steps.some((s) => s.source.target.endsWith("/ds01.service") && (s.action === "create" || s.action === "update"));
  if (dryRun) ctx.out("dry run: nothing was written\n");
  else if (unitWritten && prefix === "/") ctx.out("next: systemctl daemon-reload && systemctl enable --now ds01\n");
  if (gate) {
    ctx.out("gate: dockerd moves to /run/ds01/engine.sock (root only); the gate takes /run/docker.sock for everyone else\n");
    ctx.out("next: systemctl daemon-reload && systemctl restart docker.socket docker && systemctl enable --now ds01-gate && systemctl restart ds01\n");
    ctx.out(`${GATE_ROLLBACK}\n`);
  }
  return EXIT.ok;
}

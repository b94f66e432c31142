// ds01 config resolve USER [--json] [--at ISO_TIME]: the limits, policies, per-type timeouts and active
// exemptions that apply to USER (exemptions evaluated at --at, default now).
import { loadConfig, locateConfigDir, parseIsoTime, resolvePolicy } from "../config/index.js";
import { checkUserName } from "../allocation/request-args.js";
import { EXIT, InvalidInputError } from "../errors.js";
import type { ResolvedPolicy } from "../model/policy.js";
import { parseCommandArgs, printJson, type CliContext } from "./context.js";
import { SPECS } from "./spec.js";

const show = (v: unknown, unit = ""): string => (v === null ? "null (no limit)" : `${String(v)}${unit}`);
const hours = (v: number | null): string => (v === null ? "never" : `${v}h`);

export function formatPolicyText(p: ResolvedPolicy, at: number): string {
  const lines: string[] = [];
  const how = { override: "set by the user's override", members: "listed in the group's members", default: "default group" }[p.group_source];
  lines.push(`user:  ${p.user}`, `group: ${p.group} (${how})`, "", "limits:");
  for (const [k, v] of Object.entries(p.limits)) lines.push(`  ${k.padEnd(30)} ${show(v)}`);
  lines.push("", "aggregate (all the user's containers together):");
  if (p.aggregate === null) lines.push("  none");
  else for (const [k, v] of Object.entries(p.aggregate)) lines.push(`  ${k.padEnd(30)} ${show(v)}`);
  lines.push("", "policies:");
  for (const [k, v] of Object.entries(p.policies)) lines.push(`  ${k.padEnd(30)} ${show(v)}`);
  lines.push("", `container types:  ${"idle timeout".padEnd(14)}${"max runtime".padEnd(14)}sigterm grace`);
  for (const [t, ct] of Object.entries(p.container_types)) {
    lines.push(`  ${t.padEnd(16)}${hours(ct.idle_timeout_h).padEnd(14)}${hours(ct.max_runtime_h).padEnd(14)}${ct.sigterm_grace_s}s`);
  }
  lines.push("", `exemptions active at ${new Date(at).toISOString()}:`);
  if (p.exemptions.length === 0) lines.push("  none");
  for (const e of p.exemptions) {
    lines.push(`  ${e.exempt_from.join(", ")}: ${e.expires_on ? `until ${e.expires_on}` : "permanent"}${e.reason ? ` — ${e.reason}` : ""}`);
  }
  return lines.join("\n") + "\n";
}

export async function run(ctx: CliContext, argv: string[]): Promise<number> {
  const { values, positionals } = parseCommandArgs(argv, SPECS["config resolve"].options);
  if (positionals.length !== 1 || positionals[0]!.trim() === "") throw new InvalidInputError("config resolve needs exactly one USER");
  const user = checkUserName(positionals[0]!, "USER");
  let at = ctx.clock.now();
  if (values.at !== undefined) {
    const t = parseIsoTime(values.at);
    if (t === null) throw new InvalidInputError(`--at: "${values.at}" is not an ISO-8601 time (e.g. 2026-03-01T12:00:00Z)`);
    at = t;
  }
  const { dir } = locateConfigDir(ctx);
  const config = await loadConfig(dir);
  const policy = resolvePolicy(config, user, at);
  if (values.json) printJson(ctx, policy);
  else ctx.out(formatPolicyText(policy, at));
  return EXIT.ok;
}

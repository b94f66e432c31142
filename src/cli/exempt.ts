// ds01 exempt add|list|remove: manage lifecycle-exemptions.yaml. Edits keep comments, are validated with
// the whole config before anything is written, and replace the file atomically.
import { join } from "node:path";
import { CONFIG_FILES, ConfigError, formatProblem, isActiveAt, loadConfig, locateConfigDir, parseEnforcement, parseIsoTime } from "../config/index.js";
import { writeFileAtomic } from "../config/atomic-write.js";
import { addExemption, parseExemptionsDocument, removeExemption } from "../config/exemptions-edit.js";
import { readText } from "../config/read-text.js";
import { checkUserName } from "../allocation/request-args.js";
import { EXIT, InvalidInputError, RefusedError } from "../errors.js";
import type { Enforcement } from "../model/policy.js";
import { parseDuration } from "../util/duration.js";
import { safeCell } from "../util/safe-text.js";
import { parseCommandArgs, printJson, type CliContext } from "./context.js";
import { SPECS } from "./spec.js";

function oneUser(positionals: string[]): string {
  if (positionals.length !== 1 || positionals[0]!.trim() === "") throw new InvalidInputError("expected exactly one USER");
  return checkUserName(positionals[0]!.trim(), "USER");
}

function enforcements(text: string): Enforcement[] {
  const out: Enforcement[] = [];
  for (const w of text.split(",").map((s) => s.trim()).filter(Boolean)) {
    const e = parseEnforcement(w);
    if (e === null) throw new InvalidInputError(`--from: unknown enforcement "${w}" (expected idle_timeout_h and/or max_runtime_h)`);
    if (!out.includes(e)) out.push(e);
  }
  if (out.length === 0) throw new InvalidInputError("--from: name idle_timeout_h and/or max_runtime_h");
  return out;
}

/** --expires: an ISO-8601 time, a duration from now (7d, 12h), or never/none for permanent. */
function expiry(text: string | undefined, now: number): string | null {
  if (text === undefined || ["never", "none", "permanent"].includes(text.trim().toLowerCase())) return null;
  const iso = parseIsoTime(text);
  const at = iso ?? now + parseDuration(text, "--expires", "d");
  if (at <= now) throw new InvalidInputError(`--expires: ${new Date(at).toISOString()} is not in the future`);
  return new Date(at).toISOString().replace(".000Z", "Z");
}

/** The editable exemptions file of the located config directory (never the bundled default). */
function editableDir(ctx: CliContext): string {
  const { dir, source } = locateConfigDir(ctx);
  if (source === "bundled") {
    throw new InvalidInputError(`refusing to edit the bundled default config (${dir}); pass --config DIR, set DS01_CONFIG_DIR, or install a config in /etc/ds01`);
  }
  return dir;
}

/**
 * Reads, edits (through `edit`, which says whether it changed anything), validates the result with the
 * whole config, and atomically writes the file. Returns false (nothing written) when nothing changed.
 */
async function editFile(dir: string, edit: (doc: ReturnType<typeof parseExemptionsDocument>["doc"]) => boolean): Promise<boolean> {
  const file = join(dir, CONFIG_FILES.lifecycleExemptions);
  const current = await readText(file);
  if (current.kind === "unreadable") throw new InvalidInputError(`${file}: ${current.reason}`);
  const { doc, errors } = parseExemptionsDocument(current.kind === "text" ? current.text : "");
  if (errors.length > 0) {
    throw new InvalidInputError(`${file} is not valid YAML; fix it first (it was not changed)`, errors.map((e) => `${file}: ${e} (the file was not changed)`));
  }
  let changed: boolean;
  try {
    changed = edit(doc);
  } catch (e) {
    throw new InvalidInputError(`${file}: ${e instanceof Error ? e.message : String(e)} (the file was not changed)`);
  }
  if (!changed) return false;
  const text = doc.toString();
  try {
    await loadConfig(dir, { exemptionsText: text });
  } catch (e) {
    if (e instanceof ConfigError) {
      const lines = e.details.filter((p) => p.severity === "error").map(formatProblem);
      throw new InvalidInputError("the config would not be valid after this change; nothing was written", [...lines, `${file} was not changed`]);
    }
    throw e;
  }
  await writeFileAtomic(file, text);
  return true;
}

export async function runAdd(ctx: CliContext, argv: string[]): Promise<number> {
  const { values, positionals } = parseCommandArgs(argv, SPECS["exempt add"].options);
  const user = oneUser(positionals);
  if (values.from === undefined) throw new InvalidInputError("--from is required");
  if (values.reason === undefined || values.reason.trim() === "") throw new InvalidInputError("--reason needs a text");
  const now = ctx.clock.now();
  const entry = {
    username: user,
    exempt_from: enforcements(values.from),
    reason: values.reason.trim(),
    expires_on: expiry(values.expires, now),
    category: values.category ?? null,
    approved_by: values["approved-by"] ?? ctx.env.SUDO_USER ?? ctx.userName,
    approved_on: new Date(now).toISOString().slice(0, 10),
  };
  const dir = editableDir(ctx);
  let outcome = "added";
  await editFile(dir, (doc) => {
    outcome = addExemption(doc, entry);
    return true;
  });
  ctx.out(`${outcome} exemption for ${user} from ${entry.exempt_from.join(", ")} ${entry.expires_on ? `until ${entry.expires_on}` : "(permanent)"}\n`);
  return EXIT.ok;
}

export async function runRemove(ctx: CliContext, argv: string[]): Promise<number> {
  const { values, positionals } = parseCommandArgs(argv, SPECS["exempt remove"].options);
  const user = oneUser(positionals);
  let from: Enforcement | null = null;
  if (values.from !== undefined) {
    const list = enforcements(values.from);
    if (list.length !== 1) throw new InvalidInputError("--from: name one enforcement to remove");
    from = list[0]!;
  }
  const dir = editableDir(ctx);
  let changed = 0;
  const written = await editFile(dir, (doc) => {
    changed = removeExemption(doc, user, from);
    return changed > 0;
  });
  if (!written) throw new RefusedError(`no exemption for ${user}${from ? ` from ${from}` : ""} in ${join(dir, CONFIG_FILES.lifecycleExemptions)}`);
  ctx.out(`removed ${from ?? "all exemptions"} for ${user} (${changed} entr${changed === 1 ? "y" : "ies"} changed)\n`);
  return EXIT.ok;
}

export async function runList(ctx: CliContext, argv: string[]): Promise<number> {
  const { values } = parseCommandArgs(argv, SPECS["exempt list"].options);
  const { dir } = locateConfigDir(ctx);
  const config = await loadConfig(dir);
  const now = ctx.clock.now();
  const rows = config.exemptions
    .filter((e) => values.user === undefined || e.username === values.user)
    .map((e) => ({
      username: e.username,
      exempt_from: e.exempt_from,
      reason: e.reason,
      expires_on: e.expires_on,
      category: e.category,
      approved_by: e.approved_by,
      approved_on: e.approved_on,
      active: isActiveAt(e, now),
    }));
  if (values.json) {
    printJson(ctx, { exemptions: rows });
    return EXIT.ok;
  }
  if (rows.length === 0) {
    ctx.out(`no exemptions in ${config.files.lifecycleExemptions}\n`);
    return EXIT.ok;
  }
  ctx.out(`${"USER".padEnd(16)} ${"FROM".padEnd(28)} ${"EXPIRES".padEnd(22)} ${"STATUS".padEnd(8)} REASON\n`);
  for (const r of rows) {
    ctx.out(`${safeCell(r.username).padEnd(16)} ${r.exempt_from.join(",").padEnd(28)} ${(r.expires_on ?? "never").padEnd(22)} ${(r.active ? "active" : "expired").padEnd(8)} ${safeCell(r.reason ?? "")}\n`);
  }
  return EXIT.ok;
}

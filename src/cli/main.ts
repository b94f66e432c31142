import { userInfo } from "node:os";
import { EXIT, InvalidInputError, exitCodeFor, errorText } from "../errors.js";
import { systemClock } from "../util/clock.js";
import type { CliContext } from "./context.js";
import { findCommand, usageText } from "./commands.js";
import { safeOutput } from "../util/safe-text.js";

/** Splits the global options (before the command) from the command and its own arguments. */
function splitGlobal(argv: string[]): { configDir: string | null; stateDir: string | null; rest: string[] } {
  let configDir: string | null = null;
  let stateDir: string | null = null;
  let i = 0;
  for (; i < argv.length; i++) {
    const a = argv[i]!;
    const [flag, inline] = a.startsWith("--") && a.includes("=") ? [a.slice(0, a.indexOf("=")), a.slice(a.indexOf("=") + 1)] : [a, undefined];
    if (flag !== "--config" && flag !== "--state-dir") break;
    const value = inline ?? argv[++i];
    if (value === undefined || value === "") throw new InvalidInputError(`${flag} needs a directory`);
    if (flag === "--config") configDir = value;
    else stateDir = value;
  }
  return { configDir, stateDir, rest: argv.slice(i) };
}

export function defaultContext(): Omit<CliContext, "configDir" | "stateDir"> {
  let userName = process.env.SUDO_USER && process.getuid?.() === 0 ? "root" : "";
  try {
    userName = userInfo().username;
  } catch {
    userName = process.env.USER ?? "unknown";
  }
  return {
    env: process.env,
    clock: systemClock,
    // Every line for a human, and every error echoing an argument, without terminal controls.
    out: (t) => void process.stdout.write(safeOutput(t)),
    err: (t) => void process.stderr.write(safeOutput(t)),
    uid: process.getuid?.() ?? 0,
    userName,
  };
}

/** The only place that turns errors into exit codes. */
export async function main(argv: string[], base = defaultContext()): Promise<number> {
  try {
    const { configDir, stateDir, rest } = splitGlobal(argv);
    if (rest.length === 0 || rest[0] === "--help" || rest[0] === "-h" || rest[0] === "help") {
      base.out(usageText() + "\n");
      return rest.length === 0 ? EXIT.invalidInput : EXIT.ok;
    }
    const found = findCommand(rest);
    if (!found) throw new InvalidInputError(`unknown command "${rest.join(" ")}"\n${usageText()}`);
    const mod = await found.entry.load();
    return await mod.run({ ...base, configDir, stateDir }, found.rest);
  } catch (e) {
    if (e instanceof InvalidInputError) for (const p of e.problems) base.err(`ds01: ${p}\n`);
    else base.err(`ds01: ${errorText(e)}\n`);
    if (!(e instanceof InvalidInputError) && process.env.DS01_DEBUG) base.err(`${(e as Error).stack ?? ""}\n`);
    return exitCodeFor(e);
  }
}

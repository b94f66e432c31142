import { userInfo } from "node:os";
import { InvalidInputError, exitCodeFor, errorText } from "../errors.js";
import { systemClock } from "../util/clock.js";
import { loadCommand } from "./commands.js";
import type { CliContext } from "./context.js";
import { CommandLineError, parseCommandLine } from "./program.js";
import { packageVersion } from "./version.js";
import { safeOutput } from "../util/safe-text.js";

export function defaultContext(): Omit<CliContext, "configDir" | "stateDir"> {
  let userName: string;
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

/** --json among the options (not in a container command after "--"). */
function asksForJson(argv: readonly string[]): boolean {
  const end = argv.indexOf("--");
  return (end < 0 ? argv : argv.slice(0, end)).includes("--json");
}

/** The only place that turns errors into exit codes. */
export async function main(argv: string[], base = defaultContext()): Promise<number> {
  // What reached stdout and stderr, so that a --json run that failed without a document gets one.
  let printed = false;
  const messages: string[] = [];
  const io = {
    out: (t: string) => {
      printed = true;
      base.out(t);
    },
    err: (t: string) => {
      messages.push(t);
      base.err(t);
    },
  };
  let code: number;
  let failure: string | null = null;
  try {
    const parsed = parseCommandLine(argv, { ...io, version: packageVersion() });
    if (parsed.kind === "exit") return parsed.code;
    const { configDir, stateDir, logFormat } = parsed.globals;
    const env = logFormat ? { ...base.env, DS01_LOG_FORMAT: logFormat } : base.env;
    const mod = await loadCommand(parsed.key);
    code = await mod.run({ ...base, ...io, env, configDir, stateDir }, parsed.argv);
  } catch (e) {
    if (e instanceof CommandLineError) failure = e.message; // commander has printed it
    else if (e instanceof InvalidInputError) for (const p of e.problems) io.err(`ds01: ${p}\n`);
    else io.err(`ds01: ${errorText(e)}\n`);
    if (!(e instanceof InvalidInputError) && process.env.DS01_DEBUG) base.err(`${(e as Error).stack ?? ""}\n`);
    code = exitCodeFor(e);
  }
  if (code !== 0 && !printed && asksForJson(argv)) {
    failure ??= messages.map((m) => m.replace(/^ds01: /, "").trimEnd()).join("\n") || `exit code ${code}`;
    base.out(JSON.stringify({ error: failure, exit_code: code }, null, 2) + "\n");
  }
  return code;
}

import { exitCodeFor } from "../errors.js";
import { loadCommand } from "./commands.js";
import { defaultContext } from "./default-context.js";
import { CommandLineError, parseCommandLine } from "./program.js";
import { reportFailure } from "./report-failure.js";
import { packageVersion } from "./version.js";

export { defaultContext };

/** --json among the options (not in a container command after "--"). */
function asksForJson(argv: readonly string[]): boolean {
  const end = argv.indexOf("--");
  return (end < 0 ? argv : argv.slice(0, end)).includes("--json");
}

/** Turns errors into exit codes (reportFailure; the gate's own entry, src/cli/gate-main.ts, too). */
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
    if (e instanceof CommandLineError) {
      failure = e.message; // commander has printed it
      code = exitCodeFor(e);
    } else code = reportFailure(e, io.err, base.err);
  }
  if (code !== 0 && !printed && asksForJson(argv)) {
    failure ??= messages.map((m) => m.replace(/^ds01: /, "").trimEnd()).join("\n") || `exit code ${code}`;
    base.out(JSON.stringify({ error: failure, exit_code: code }, null, 2) + "\n");
  }
  return code;
}

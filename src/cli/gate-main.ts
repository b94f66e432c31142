// The bundle's entry for `ds01 gate` (dist/bundle/gate-main.cjs): the gate without the command-line
// library and the other commands' tree, which main.cjs loads to parse. bin/ds01.js comes here only
// for a command line that src/launch/gate-argv.ts recognised; the gate runs as main.ts would run it.
import { run } from "./gate.js";
import { defaultContext } from "./default-context.js";
import { reportFailure } from "./report-failure.js";
import type { GateCommandLine } from "../launch/gate-argv.js";

export async function runGate(line: GateCommandLine, base = defaultContext()): Promise<number> {
  const env = line.logFormat ? { ...base.env, DS01_LOG_FORMAT: line.logFormat } : base.env;
  try {
    return await run({ ...base, env, configDir: line.configDir, stateDir: line.stateDir }, line.argv);
  } catch (e) {
    return reportFailure(e, base.err, base.err);
  }
}

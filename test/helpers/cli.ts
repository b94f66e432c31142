// Runs ds01's command line in-process with a captured context.
import { main } from "../../src/cli/main.js";
import type { CliContext } from "../../src/cli/context.js";
import { systemClock } from "../../src/util/clock.js";

export interface CliResult {
  code: number;
  out: string;
  err: string;
}

export async function runCli(argv: string[], ctx: Partial<Omit<CliContext, "out" | "err" | "configDir" | "stateDir">> = {}): Promise<CliResult> {
  let out = "";
  let err = "";
  const code = await main(argv, {
    env: {},
    clock: systemClock,
    uid: 1000,
    userName: "tester",
    ...ctx,
    out: (t) => void (out += t),
    err: (t) => void (err += t),
  });
  return { code, out, err };
}

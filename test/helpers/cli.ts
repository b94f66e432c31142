// Runs ds01's command line in-process with a captured context: the one runner every test uses.
import { main } from "../../src/cli/main.js";
import type { CliContext } from "../../src/cli/context.js";
import { systemClock } from "../../src/util/clock.js";

export interface CliResult {
  code: number;
  out: string;
  err: string;
}

/** What a test may set; the rest defaults to an unprivileged caller "tester" with an empty env. */
export type CliCaller = Partial<Omit<CliContext, "out" | "err" | "configDir" | "stateDir">>;

export const ROOT: CliCaller = { uid: 0, userName: "root" };

export async function runCli(argv: string[], ctx: CliCaller = {}): Promise<CliResult> {
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

import { parseArgs } from "node:util";
import { InvalidInputError } from "../errors.js";
import type { Clock } from "../util/clock.js";
import type { OptionSpec } from "./spec.js";

/** Everything a command needs from the outside world; tests build their own. */
export interface CliContext {
  /** Directory holding resource-limits.yaml and its siblings; null = not given (use the search order). */
  configDir: string | null;
  /** Directory for the SQLite store and locks; null = not given (use the default). */
  stateDir: string | null;
  env: NodeJS.ProcessEnv;
  clock: Clock;
  out: (text: string) => void;
  err: (text: string) => void;
  /** Effective uid of the caller (0 = root). */
  uid: number;
  /** Login name of the caller. */
  userName: string;
}

export type CommandRun = (ctx: CliContext, argv: string[]) => Promise<number>;

type Options = Readonly<Record<string, Pick<OptionSpec, "type" | "multiple" | "default">>>;

/**
 * parseArgs with strict checking; any problem becomes InvalidInputError (exit 2). Commands pass
 * their declaration from spec.ts, which the command line has already checked argv against.
 */
export function parseCommandArgs<const O extends Options>(argv: string[], options: O, usage?: string) {
  try {
    return parseArgs({ args: argv, options, allowPositionals: true, strict: true });
  } catch (e) {
    throw new InvalidInputError(`${e instanceof Error ? e.message : String(e)}${usage ? `\nusage: ${usage}` : ""}`);
  }
}

export function printJson(ctx: CliContext, value: unknown): void {
  ctx.out(JSON.stringify(value, null, 2) + "\n");
}

import { userInfo } from "node:os";
import { systemClock } from "../util/clock.js";
import type { CliContext } from "./context.js";
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

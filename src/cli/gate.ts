// Placeholder for `ds01 gate` (declared in spec.ts); the real command replaces this file.
import type { CliContext } from "./context.js";

export function run(_ctx: CliContext, _argv: string[]): Promise<number> {
  throw new Error("ds01 gate is not built yet");
}

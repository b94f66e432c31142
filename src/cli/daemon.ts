import type { CliContext } from "./context.js";

// Placeholder until this command is built: says so and fails.
export async function run(ctx: CliContext, _argv: string[]): Promise<number> {
  ctx.err("ds01: 'daemon' is not implemented yet\n");
  return 1;
}

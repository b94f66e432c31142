import { InvalidInputError, errorText, exitCodeFor } from "../errors.js";

/** A command's error in ds01's words on stderr (its stack too with DS01_DEBUG), and its exit code. */
export function reportFailure(e: unknown, err: (text: string) => void, debugErr: (text: string) => void): number {
  if (e instanceof InvalidInputError) for (const p of e.problems) err(`ds01: ${p}\n`);
  else err(`ds01: ${errorText(e)}\n`);
  if (!(e instanceof InvalidInputError) && process.env.DS01_DEBUG) debugErr(`${(e as Error).stack ?? ""}\n`);
  return exitCodeFor(e);
}

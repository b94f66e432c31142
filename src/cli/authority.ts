// Who may decide. Allocation, creation and enforcement are decisions for the whole system: they
// are made by root (an admin at the shell, the daemon, its broker) or the gate, from the system's
// own state and config. A non-root caller of a deciding command is refused before anything is
// read: never a decision of its own in a private store, never limits from its own --config.
import { RefusedError } from "../errors.js";
import type { CliContext } from "./context.js";

/** Throws RefusedError (exit 1) unless the caller is root. */
export function requireSystemAuthority(ctx: Pick<CliContext, "uid" | "userName">, command: string, instead: string): void {
  if (ctx.uid === 0) return;
  throw new RefusedError(`${command} decides for the whole system, so only root may run it (you are ${ctx.userName || `uid ${ctx.uid}`}); nothing was decided. ${instead}`);
}

/** What an ordinary user does instead of allocating or creating with ds01 itself. */
export const ALLOCATE_INSTEAD = "Create GPU containers through Docker (the ds01 gate allocates within your quota), or ask an admin to run it for you with --user.";

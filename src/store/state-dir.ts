// Where ds01 keeps its state (SQLite store, pass lock).
import { homedir } from "node:os";
import { join } from "node:path";

export const SYSTEM_STATE_DIR = "/var/lib/ds01";

export interface StateDirContext {
  /** --state-dir, null when not given. */
  stateDir: string | null;
  env: NodeJS.ProcessEnv;
  /** Effective uid (0 = root). */
  uid: number;
}

/** --state-dir, else $DS01_STATE_DIR, else /var/lib/ds01 for root, else ~/.local/state/ds01. */
export function defaultStateDir(ctx: StateDirContext): string {
  if (ctx.stateDir) return ctx.stateDir;
  const fromEnv = ctx.env.DS01_STATE_DIR;
  if (fromEnv) return fromEnv;
  if (ctx.uid === 0) return SYSTEM_STATE_DIR;
  return join(ctx.env.HOME || homedir(), ".local", "state", "ds01");
}

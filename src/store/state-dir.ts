// Where ds01 keeps its state (SQLite store, pass lock).
import { mkdirSync, statSync, type Stats } from "node:fs";
import { dirname, resolve } from "node:path";
import { InvalidInputError } from "../errors.js";

export const SYSTEM_STATE_DIR = "/var/lib/ds01";

export interface StateDirContext {
  /** --state-dir, null when not given. */
  stateDir: string | null;
  env: NodeJS.ProcessEnv;
  /** Effective uid (0 = root). */
  uid: number;
}

/**
 * --state-dir, else $DS01_STATE_DIR, else /var/lib/ds01, for everyone. There is no private state
 * for a non-root caller: a store of one's own would mean reservations, a pass lock and an audit log
 * that the system never sees (src/cli/authority.ts refuses such a caller the deciding commands).
 */
export function defaultStateDir(ctx: StateDirContext): string {
  if (ctx.stateDir) return ctx.stateDir;
  const fromEnv = ctx.env.DS01_STATE_DIR;
  if (fromEnv) return fromEnv;
  return SYSTEM_STATE_DIR;
}

const WHY: Record<string, string> = {
  EACCES: "permission denied",
  EPERM: "not permitted here",
  EROFS: "read-only file system",
  ENOENT: "this file system does not allow it",
  ENOTDIR: "a part of the path is not a directory",
  EEXIST: "it exists and is not a directory",
  ENOSPC: "no space left",
};

/**
 * Creates the state directory (0750) and its missing parents one by one. Node's recursive mkdir
 * never returns on some pseudo file systems (/proc), and its errno messages mean little to a person.
 */
export function makeStateDir(dir: string): void {
  const missing: string[] = [];
  let p = resolve(dir);
  for (;;) {
    let st: Stats | undefined;
    try {
      st = statSync(p);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "ENOENT") throw stateDirError(dir, p, e);
    }
    if (st) {
      if (!st.isDirectory()) throw new InvalidInputError(`state directory ${dir}: ${p} is not a directory`);
      break;
    }
    missing.unshift(p);
    if (dirname(p) === p) break;
    p = dirname(p);
  }
  for (const m of missing) {
    try {
      mkdirSync(m, { mode: 0o750 });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "EEXIST" || !statSync(m).isDirectory()) throw stateDirError(dir, m, e);
    }
  }
}

function stateDirError(dir: string, at: string, e: unknown): InvalidInputError {
  const code = (e as NodeJS.ErrnoException).code ?? "";
  return new InvalidInputError(`state directory ${dir}: cannot create ${at}: ${WHY[code] ?? (e instanceof Error ? e.message : String(e))} (choose another with --state-dir)`);
}

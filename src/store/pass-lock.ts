// "One enforcement pass at a time": the daemon and `ds01 check` take this lock before a pass.
//
// The lock is an exclusive SQLite (POSIX fcntl) lock on <stateDir>/pass.lock, held by an open
// transaction. The kernel drops it when the holder exits, however it exits (SIGKILL, crash), so a
// dead holder never blocks anyone and there is no stale-lock race to break: the next acquire just
// succeeds. Who holds it is written beside it in pass.lock.json ({pid, holder, since}) so a refused
// caller can say who; that file is informative only and is ignored when its pid is no longer alive.
// A file of its own, with no schema: holding a transaction open on the audit store would stall
// its writers for the whole pass.
import { readFileSync, renameSync, unlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import Database from "better-sqlite3";
import { systemClock, type Clock } from "../util/clock.js";
import { makeStateDir } from "./state-dir.js";
import { isSqliteBusy } from "./store-error.js";

export const PASS_LOCK_FILE = "pass.lock";
export const PASS_LOCK_INFO_FILE = "pass.lock.json";

export interface PassLockHolder {
  /** null when unknown (the holder has not written its info yet, or the info is stale). */
  pid: number | null;
  holder: string;
  /** Epoch ms; null when unknown. */
  since: number | null;
}

export interface PassLock {
  readonly pid: number;
  readonly holder: string;
  readonly since: number;
  /** Releases the lock; safe to call twice. Keep the PassLock referenced until then. */
  release(): void;
}

export type PassLockResult = { acquired: true; lock: PassLock } | { acquired: false; heldBy: PassLockHolder };

/**
 * Takes the pass lock without waiting. `holder` says who takes it ("daemon", "ds01 check").
 * When another live process holds it, returns who. Creates stateDir (0750) when needed.
 */
export function acquirePassLock(stateDir: string, holder: string, opts: { clock?: Clock } = {}): PassLockResult {
  makeStateDir(stateDir);
  const lockPath = join(stateDir, PASS_LOCK_FILE);
  const infoPath = join(stateDir, PASS_LOCK_INFO_FILE);
  const db = new Database(lockPath, { timeout: 0 });
  try {
    db.exec("BEGIN EXCLUSIVE");
  } catch (e) {
    db.close();
    if (isSqliteBusy(e)) {
      return { acquired: false, heldBy: readHolder(infoPath) };
    }
    throw e;
  }
  const since = (opts.clock ?? systemClock).now();
  const info: PassLockHolder = { pid: process.pid, holder, since };
  const tmp = `${infoPath}.${process.pid}.tmp`;
  writeFileSync(tmp, JSON.stringify(info) + "\n", { mode: 0o640 });
  renameSync(tmp, infoPath);
  let held = true;
  return {
    acquired: true,
    lock: {
      pid: process.pid,
      holder,
      since,
      release() {
        if (!held) return;
        held = false;
        // Remove our info while still holding the lock, so we never delete the next holder's.
        try {
          unlinkSync(infoPath);
        } catch {
          // already gone
        }
        db.close(); // rolls the empty transaction back and drops the fcntl lock
      },
    },
  };
}

function readHolder(infoPath: string): PassLockHolder {
  const unknown: PassLockHolder = { pid: null, holder: "unknown", since: null };
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(infoPath, "utf8"));
  } catch {
    return unknown;
  }
  if (typeof raw !== "object" || raw === null) return unknown;
  const { pid, holder, since } = raw as Record<string, unknown>;
  if (typeof pid !== "number" || !Number.isInteger(pid) || pid <= 0 || !isAlive(pid)) return unknown;
  return { pid, holder: typeof holder === "string" ? holder : "unknown", since: typeof since === "number" ? since : null };
}

/** True when a process with this pid exists (EPERM: it exists but belongs to someone else). */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
}

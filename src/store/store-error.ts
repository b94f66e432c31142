// SQLite's errors, told apart in one place: which code an error carries, whether another
// connection holds the lock, and the plain sentence for a file that is not (or no longer) a
// sound ds01 database.
import { InvalidInputError } from "../errors.js";

/** True when `e` carries one of these SQLite codes, or an extended code of one (SQLITE_BUSY_SNAPSHOT). */
export function isSqliteCode(e: unknown, ...codes: string[]): boolean {
  const code = (e as { code?: unknown } | null)?.code;
  return typeof code === "string" && codes.some((c) => code === c || code.startsWith(`${c}_`));
}

/** Another connection holds the lock this statement needs: waiting may help, nothing was written. */
export function isSqliteBusy(e: unknown): boolean {
  return isSqliteCode(e, "SQLITE_BUSY", "SQLITE_LOCKED");
}

// Whether an error came from SQLite (a full disk, an I/O error, a read-only or damaged file): a
// failure of ds01's own store, to be reported as such, never as a failure of what ds01 observes.
export function isStoreError(e: unknown): boolean {
  if (typeof e !== "object" || e === null) return false;
  const code = (e as { code?: unknown }).code;
  return (e as { name?: unknown }).name === "SqliteError" || (typeof code === "string" && code.startsWith("SQLITE_"));
}

/**
 * The error an open reports for `path`: a damaged or foreign file becomes an InvalidInputError
 * naming the file (exit 2, "restore it or move it away"); anything else is returned unchanged.
 */
export function openError(path: string, e: unknown): unknown {
  if (e instanceof InvalidInputError) return e.message.startsWith(`${path}: `) ? e : new InvalidInputError(`${path}: ${e.message}`);
  if (isSqliteCode(e, "SQLITE_CORRUPT")) return damagedDatabaseError(path, (e as Error).message);
  if (isSqliteCode(e, "SQLITE_NOTADB")) return new InvalidInputError(`${path}: not a ds01 database (${(e as Error).message})`);
  return e;
}

/** A database whose pages are damaged: never read on as if nothing were recorded. */
export function damagedDatabaseError(path: string, what: string): InvalidInputError {
  return new InvalidInputError(`${path}: the database is damaged (${what}); restore it from a backup, or move it away to start afresh`);
}

// Whether an error came from SQLite (a full disk, an I/O error, a read-only or damaged file): a
// failure of ds01's own store, to be reported as such, never as a failure of what ds01 observes.
export function isStoreError(e: unknown): boolean {
  if (typeof e !== "object" || e === null) return false;
  const code = (e as { code?: unknown }).code;
  return (e as { name?: unknown }).name === "SqliteError" || (typeof code === "string" && code.startsWith("SQLITE_"));
}

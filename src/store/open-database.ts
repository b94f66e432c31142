// Opening an SQLite file the way both ds01 stores need: refuse a 0-byte file (it is not an empty
// store but a lost one: SQLite would silently start a fresh log in it), check every page at open
// (a damaged page is found now, not at the first unlucky query), and read a database in a
// directory this process cannot write (a read-only mount, another user's directory) from a
// private snapshot, since SQLite's WAL mode cannot open it there otherwise.
import { randomBytes } from "node:crypto";
import { accessSync, chmodSync, constants, copyFileSync, linkSync, mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, dirname, join } from "node:path";
import Database from "better-sqlite3";
import { InvalidInputError, RefusedError } from "../errors.js";
import { storeAccess, unreadableStoreText } from "./store-access.js";

export interface OpenedDatabase {
  db: Database.Database;
  /** Set when the database is a snapshot copy (read-only opens only). */
  snapshotOf: string | null;
  /** Closes the connection and removes a snapshot. */
  close(): void;
}

/**
 * Creates a new database at `path` whole: under a private name first (mode 0640), set up by
 * `init`, closed, then linked into place, which fails harmlessly when another process got there
 * first. So a database file is never seen half-born, and a 0-byte file at `path` is always a lost
 * one, never one that a concurrent first open is still writing.
 */
export function bornWhole(path: string, init: (db: Database.Database) => void): void {
  const tmp = `${path}.new-${process.pid}-${randomBytes(4).toString("hex")}`;
  try {
    const db = new Database(tmp);
    try {
      chmodSync(tmp, 0o640);
      init(db);
    } finally {
      db.close();
    }
    try {
      linkSync(tmp, path);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
    }
  } finally {
    for (const f of [tmp, `${tmp}-wal`, `${tmp}-shm`, `${tmp}-journal`]) rmSync(f, { force: true });
  }
}

/** Refuses an existing 0-byte file (InvalidInputError naming it). */
export function refuseEmptyFile(path: string): void {
  let size: number;
  try {
    size = statSync(path).size;
  } catch {
    return; // absent or unreadable: the open says why
  }
  if (size === 0) {
    throw new InvalidInputError(
      `${path}: the file is empty (0 bytes), not a ds01 database: its contents were lost (a truncation, a failed copy). ` +
        `ds01 will not start a new log over it: restore it from a backup, or move it away to start afresh`,
    );
  }
}

/** PRAGMA quick_check: every page's structure; throws InvalidInputError naming the first problems. */
export function checkIntegrity(db: Database.Database, path: string): void {
  const rows = db.pragma("quick_check(5)") as { quick_check: string }[];
  const problems = rows.map((r) => r.quick_check.replace(/\s+/g, " ").trim()).filter((p) => p !== "ok");
  if (problems.length > 0) {
    throw new InvalidInputError(`${path}: the database is damaged (integrity check at open: ${problems.join("; ")}); restore it from a backup, or move it away to start afresh`);
  }
}

function isSqliteCode(e: unknown, ...codes: string[]): boolean {
  const code = (e as { code?: unknown } | null)?.code;
  return typeof code === "string" && codes.some((c) => code === c || code.startsWith(`${c}_`));
}

function writable(dir: string): boolean {
  try {
    accessSync(dir, constants.W_OK);
    return true;
  } catch {
    return false;
  }
}

/**
 * Opens `path` read-only. Where SQLite cannot (a WAL database needs its -shm file, which cannot be
 * made in a directory this process may not write), it reads a snapshot: a private copy of the file
 * and its -wal, opened read-only and removed on close.
 */
export function openReadonly(path: string, timeoutMs: number): OpenedDatabase {
  const direct = new Database(path, { readonly: true, fileMustExist: true, timeout: timeoutMs });
  try {
    direct.prepare("SELECT count(*) FROM sqlite_master").get();
    return { db: direct, snapshotOf: null, close: () => direct.close() };
  } catch (e) {
    direct.close();
    if (!isSqliteCode(e, "SQLITE_CANTOPEN", "SQLITE_READONLY") || writable(dirname(path))) throw e;
  }
  // Without its -wal the copy would lack the newest commits: say so rather than show an old view.
  const wal = storeAccess(`${path}-wal`);
  if (wal.kind === "unreadable") throw new RefusedError(unreadableStoreText("the write-ahead log", `${path}-wal`, wal.why));
  const dir = mkdtempSync(join(tmpdir(), "ds01-snapshot-"));
  const copy = join(dir, basename(path));
  try {
    if (wal.kind === "readable") copyFileSync(`${path}-wal`, `${copy}-wal`);
    copyFileSync(path, copy);
    const db = new Database(copy, { readonly: true, fileMustExist: true, timeout: timeoutMs });
    return {
      db,
      snapshotOf: path,
      close: () => {
        db.close();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  } catch (e) {
    rmSync(dir, { recursive: true, force: true });
    throw e;
  }
}

// Opening an SQLite file the way every ds01 database needs (openDatabase for writers): refuse a 0-byte file (it is not an empty
// store but a lost one: SQLite would silently start a fresh log in it), check every page at open
// (a damaged page is found now, not at the first unlucky query), and read a database in a
// directory this process cannot write (a read-only mount, another user's directory) from a
// private snapshot, since SQLite's WAL mode cannot open it there otherwise.
import { randomBytes } from "node:crypto";
import { accessSync, chmodSync, constants, copyFileSync, existsSync, linkSync, mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, dirname, join } from "node:path";
import Database from "better-sqlite3";
import { InvalidInputError, RefusedError } from "../errors.js";
import { migrate, newerSchemaMessage, userVersion, type Migration } from "./migrations.js";
import { damagedDatabaseError, isSqliteBusy, isSqliteCode, openError } from "./store-error.js";
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
    throw damagedDatabaseError(path, `integrity check at open: ${problems.join("; ")}`);
  }
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

export interface OpenDatabaseOptions {
  /** The database's schema; it is brought up to date at open. */
  migrations: readonly Migration[];
  /** How long a statement waits for another connection's lock. */
  busyTimeoutMs: number;
  /** FULL: each commit is on disk when it returns (fsync); NORMAL: survives a process crash only. */
  synchronous: "FULL" | "NORMAL";
  /** PRAGMA quick_check at open of an existing file (default true). */
  checkIntegrity?: boolean;
  /**
   * How long to go on retrying the setup (WAL switch, migration) while another process holds the
   * lock it needs: many processes opening a new file at once answer each other "locked" at once,
   * without SQLite's busy wait. Default 0 (no retry beyond busyTimeoutMs).
   */
  setupRetryMs?: number;
}

export interface WritableDatabase {
  db: Database.Database;
  /** user_version after the migrations. */
  version: number;
  /** True when this open created the file. */
  created: boolean;
}

/**
 * Opens (creating whole, mode 0640, when absent) the database at `path` for writing, in WAL mode,
 * and applies its missing migrations. A 0-byte file, a damaged or foreign file, and a database
 * from a newer ds01 are refused with an InvalidInputError naming the file. The directory must exist.
 */
export function openDatabase(path: string, opts: OpenDatabaseOptions): WritableDatabase {
  let db: Database.Database;
  const created = !existsSync(path);
  try {
    if (created) {
      bornWhole(path, (fresh) => {
        fresh.pragma("journal_mode = WAL");
        migrate(fresh, opts.migrations);
      });
    }
    refuseEmptyFile(path);
    db = new Database(path, { timeout: opts.busyTimeoutMs });
  } catch (e) {
    throw openError(path, e);
  }
  try {
    db.pragma(`busy_timeout = ${Math.max(0, Math.floor(opts.busyTimeoutMs))}`);
    if (!created && (opts.checkIntegrity ?? true)) checkIntegrity(db, path);
    const retry = opts.setupRetryMs ?? 0;
    // WAL is a property of the file: set once (it needs an exclusive lock), then only read.
    retryWhileBusy(() => {
      if (String(db.pragma("journal_mode", { simple: true })) !== "wal") db.pragma("journal_mode = WAL");
    }, retry);
    db.pragma(`synchronous = ${opts.synchronous}`);
    db.pragma("foreign_keys = ON");
    const version = retryWhileBusy(() => migrate(db, opts.migrations), retry); // refuses a newer schema
    return { db, version, created };
  } catch (e) {
    db.close();
    throw openError(path, e);
  }
}

/**
 * Opens the database at `path` for reading (openReadonly), with the checks every reader makes: not
 * a 0-byte file, every page sound (unless `checkIntegrity` is false), a schema no newer than
 * `latest`. Its errors name the file (openError); nothing is left open when it throws.
 */
export function openDatabaseReadonly(path: string, opts: { busyTimeoutMs: number; latest: number; checkIntegrity?: boolean }): OpenedDatabase & { version: number } {
  let opened: OpenedDatabase;
  try {
    refuseEmptyFile(path);
    opened = openReadonly(path, opts.busyTimeoutMs);
  } catch (e) {
    throw openError(path, e);
  }
  try {
    if (opts.checkIntegrity ?? true) checkIntegrity(opened.db, path);
    const version = userVersion(opened.db);
    if (version > opts.latest) throw new InvalidInputError(`${path}: ${newerSchemaMessage(version, opts.latest)}`);
    return { ...opened, version };
  } catch (e) {
    opened.close();
    throw openError(path, e);
  }
}

// Only at open, before the process serves anyone: a synchronous wait blocks nobody yet.
const sleeper = new Int32Array(new SharedArrayBuffer(4));

function retryWhileBusy<T>(fn: () => T, ms: number): T {
  const deadline = Date.now() + ms;
  for (;;) {
    try {
      return fn();
    } catch (e) {
      if (!isSqliteBusy(e) || Date.now() >= deadline) throw e;
      Atomics.wait(sleeper, 0, 0, 5 + Math.random() * 20);
    }
  }
}

// The reservations table and the allocation lock around it, in their own SQLite file
// <stateDir>/allocation.sqlite.
//
// The lock is SQLite's write lock: `BEGIN IMMEDIATE`. Every process that allocates (ds01 create,
// ds01 gpu allocate) re-reads the reservations and decides inside that one transaction, so two
// deciders never interleave; the kernel drops the lock when a holder dies, so a crash never blocks
// others. Waiting is a jittered exponential back-off (0.25 ms doubling to 8 ms: 100 waiters polling
// every millisecond would starve the holder of CPU on a small machine) with a deadline, after which
// the request FAILS (the original went on without its lock after 5 s).
//
// Why not a table in the audit store (ds01.sqlite): SQLite's write lock covers a whole file, and
// the audit store commits with synchronous=FULL (an fsync each, ~3 ms here) for its durability
// promise. With reservations there, 100 concurrent requests queue behind 100 fsyncs (~300 ms for
// the last). Here commits use synchronous=NORMAL in WAL mode (~0.2 ms): a process crash loses
// nothing committed; an OS crash may lose the newest reservations, which is harmless, since every
// process that held them died with it and created containers carry their slots in their labels.
import { existsSync } from "node:fs";
import { join } from "node:path";
import Database from "better-sqlite3";
import { InvalidInputError, TransientError } from "../errors.js";
import type { Reservation, ReservationState } from "./reservation.js";
import { makeStateDir } from "../store/state-dir.js";
import { bornWhole, checkIntegrity, openReadonly, refuseEmptyFile } from "../store/open-database.js";

export interface ReservationStore {
  /** Runs fn holding the allocation lock (one IMMEDIATE transaction): all of it commits or none. */
  locked<T>(fn: () => T): T;
  all(): Reservation[];
  forContainer(container: string): Reservation[];
  insert(rows: readonly Reservation[]): void;
  /** Deletes reservations whose expiry has passed; returns how many. */
  deleteExpired(now: number): number;
  /** pending → confirmed with the container id; returns the number of rows confirmed (0 = lost). */
  confirm(requestId: string, containerId: string, now: number, ttlMs: number): number;
  /** Deletes one request's rows, or every row for a container name; returns how many. */
  deleteRequest(requestId: string): number;
  deleteContainer(container: string): number;
  /** Deletes the confirmed rows of a container Docker has removed; returns how many. */
  deleteRemoved(containerId: string): number;
  /** Deletes whatever row holds this slot (one at most: the slot is the key); returns how many. */
  deleteSlot(slotUuid: string): number;
  /** Moves pending reservations from one container name to another. */
  rename(from: string, to: string): number;
}

interface Row {
  slot_uuid: string;
  user: string;
  container: string;
  weight: number;
  request_id: string;
  state: string;
  container_id: string | null;
  created_at: number;
  confirmed_at: number | null;
  expires_at: number;
}

function fromRow(r: Row): Reservation {
  return {
    slotUuid: r.slot_uuid,
    user: r.user,
    container: r.container,
    weight: r.weight,
    requestId: r.request_id,
    state: r.state as ReservationState,
    containerId: r.container_id,
    createdAt: r.created_at,
    confirmedAt: r.confirmed_at,
    expiresAt: r.expires_at,
  };
}

export interface LockOptions {
  /** Give up (TransientError) after this long. Default 15 s. */
  timeoutMs?: number;
}

const FIRST_BACKOFF_MS = 0.25;
const MAX_BACKOFF_MS = 8;
const sleeper = new Int32Array(new SharedArrayBuffer(4));
function sleepMs(ms: number): void {
  Atomics.wait(sleeper, 0, 0, ms);
}

function isBusy(e: unknown): boolean {
  const code = (e as { code?: unknown } | null)?.code;
  return code === "SQLITE_BUSY" || code === "SQLITE_LOCKED";
}

export const RESERVATION_DB_FILE = "allocation.sqlite";
const SCHEMA_VERSION = 1;
const SCHEMA = `
  CREATE TABLE IF NOT EXISTS reservations (
    slot_uuid    TEXT    PRIMARY KEY,       -- one holder per slot: the database itself refuses a double reservation
    user         TEXT    NOT NULL,
    container    TEXT    NOT NULL,          -- container name the slots are for
    weight       REAL    NOT NULL,          -- GPU-equivalents
    request_id   TEXT    NOT NULL,          -- all slots of one request share it
    state        TEXT    NOT NULL CHECK (state IN ('pending', 'confirmed')),
    container_id TEXT,                      -- set on confirmation
    created_at   INTEGER NOT NULL,          -- epoch ms
    confirmed_at INTEGER,                   -- epoch ms
    expires_at   INTEGER NOT NULL           -- epoch ms
  );
  CREATE INDEX IF NOT EXISTS reservations_container ON reservations (container);
  CREATE INDEX IF NOT EXISTS reservations_expires_at ON reservations (expires_at);
`;

export interface ReservationDb {
  readonly path: string;
  readonly store: ReservationStore;
  close(): void;
}

function retryWhileBusy<T>(fn: () => T, ms: number): T {
  const deadline = Date.now() + ms;
  for (;;) {
    try {
      return fn();
    } catch (e) {
      if (!isBusy(e) || Date.now() >= deadline) throw e;
      sleepMs(5 + Math.random() * 20);
    }
  }
}

/** Opens (creating: dir 0750, file 0640) <stateDir>/allocation.sqlite and brings its schema up to date. */
export function openReservationDb(stateDir: string, opts: LockOptions = {}): ReservationDb {
  makeStateDir(stateDir);
  const path = join(stateDir, RESERVATION_DB_FILE);
  if (!existsSync(path)) {
    bornWhole(path, (fresh) => {
      fresh.pragma("journal_mode = WAL");
      fresh.exec(SCHEMA);
      fresh.pragma(`user_version = ${SCHEMA_VERSION}`);
    });
  }
  refuseEmptyFile(path);
  // Opening waits longer than a request does: many processes may open the file at the same moment.
  const db = new Database(path, { timeout: 30_000 });
  try {
    checkIntegrity(db, path);
    // WAL is a property of the file: set once (it needs an exclusive lock), then only read. When many
    // processes open a new file at once, the switch can answer "locked" at once (no busy wait): retry.
    retryWhileBusy(() => {
      if (String(db.pragma("journal_mode", { simple: true })) !== "wal") db.pragma("journal_mode = WAL");
    }, 30_000);
    db.pragma("synchronous = NORMAL");
    if (Number(db.pragma("user_version", { simple: true })) !== SCHEMA_VERSION) {
      retryWhileBusy(() => db.transaction(() => {
        const v = Number(db.pragma("user_version", { simple: true }));
        if (v > SCHEMA_VERSION) throw new InvalidInputError(`${path}: schema version ${v} is newer than this ds01 understands (${SCHEMA_VERSION})`);
        if (v < SCHEMA_VERSION) {
          db.exec(SCHEMA);
          db.pragma(`user_version = ${SCHEMA_VERSION}`);
        }
      }).immediate(), 30_000);
    }
  } catch (e) {
    db.close();
    const code = (e as { code?: unknown } | null)?.code;
    if (code === "SQLITE_CORRUPT") throw new InvalidInputError(`${path}: the database is damaged (${(e as Error).message}); restore it from a backup, or move it away to start afresh`);
    if (code === "SQLITE_NOTADB") throw new InvalidInputError(`${path}: not a ds01 database`);
    throw e;
  }
  return { path, store: reservationStore(db, opts), close: () => db.close() };
}

/**
 * Opens the reservations for reading only (`ds01 gpu status`): nothing is created or migrated; no
 * file yet reads as no reservations. Writing through the returned store fails.
 */
export function openReservationDbReadonly(stateDir: string): ReservationDb {
  const path = join(stateDir, RESERVATION_DB_FILE);
  if (!existsSync(path)) {
    const db = new Database(":memory:");
    db.exec(SCHEMA);
    return { path, store: reservationStore(db), close: () => db.close() };
  }
  refuseEmptyFile(path);
  const opened = openReadonly(path, 30_000);
  try {
    checkIntegrity(opened.db, path);
    const v = Number(opened.db.pragma("user_version", { simple: true }));
    if (v > SCHEMA_VERSION) throw new InvalidInputError(`${path}: schema version ${v} is newer than this ds01 understands (${SCHEMA_VERSION})`);
    if (v < SCHEMA_VERSION) throw new InvalidInputError(`${path}: not set up yet (schema version ${v}); run an allocation as root first`);
    return { path, store: reservationStore(opened.db), close: opened.close };
  } catch (e) {
    opened.close();
    throw e;
  }
}

/** Wraps a connection whose database has the reservations table. */
export function reservationStore(db: Database.Database, opts: LockOptions = {}): ReservationStore {
  const timeoutMs = opts.timeoutMs ?? 15_000;
  const selectAll = db.prepare("SELECT * FROM reservations ORDER BY created_at, slot_uuid");
  const selectContainer = db.prepare("SELECT * FROM reservations WHERE container = ? ORDER BY slot_uuid");
  const insertRow = db.prepare(
    "INSERT INTO reservations (slot_uuid, user, container, weight, request_id, state, container_id, created_at, confirmed_at, expires_at) " +
      "VALUES (@slotUuid, @user, @container, @weight, @requestId, @state, @containerId, @createdAt, @confirmedAt, @expiresAt)",
  );
  const deleteExpiredStmt = db.prepare("DELETE FROM reservations WHERE expires_at <= ?");
  const confirmStmt = db.prepare(
    "UPDATE reservations SET state = 'confirmed', container_id = ?, confirmed_at = ?, expires_at = ? WHERE request_id = ? AND state = 'pending'",
  );
  const deleteRequestStmt = db.prepare("DELETE FROM reservations WHERE request_id = ?");
  const deleteContainerStmt = db.prepare("DELETE FROM reservations WHERE container = ?");
  const deleteSlotStmt = db.prepare("DELETE FROM reservations WHERE slot_uuid = ?");
  const deleteRemovedStmt = db.prepare("DELETE FROM reservations WHERE container_id = ? AND state = 'confirmed'");
  const renameStmt = db.prepare("UPDATE reservations SET container = ? WHERE container = ? AND state = 'pending'");

  const begin = () => {
    const deadline = Date.now() + timeoutMs;
    let backoff = FIRST_BACKOFF_MS;
    for (;;) {
      try {
        db.exec("BEGIN IMMEDIATE");
        return;
      } catch (e) {
        if (!isBusy(e)) throw e;
        if (Date.now() >= deadline) {
          throw new TransientError(`the GPU allocation lock stayed busy for ${timeoutMs} ms; nothing was allocated, try again`, "allocation-lock");
        }
        sleepMs(backoff * (0.5 + Math.random()));
        backoff = Math.min(backoff * 2, MAX_BACKOFF_MS);
      }
    }
  };

  return {
    locked<T>(fn: () => T): T {
      const busyBefore = Number(db.pragma("busy_timeout", { simple: true }));
      db.pragma("busy_timeout = 0");
      try {
        begin();
      } finally {
        db.pragma(`busy_timeout = ${busyBefore}`);
      }
      try {
        const result = fn();
        db.exec("COMMIT");
        return result;
      } catch (e) {
        if (db.inTransaction) db.exec("ROLLBACK");
        throw e;
      }
    },
    all: () => (selectAll.all() as Row[]).map(fromRow),
    forContainer: (container) => (selectContainer.all(container) as Row[]).map(fromRow),
    insert(rows) {
      for (const r of rows) insertRow.run(r);
    },
    deleteExpired: (now) => deleteExpiredStmt.run(now).changes,
    confirm: (requestId, containerId, now, ttlMs) => confirmStmt.run(containerId, now, now + ttlMs, requestId).changes,
    deleteRequest: (requestId) => deleteRequestStmt.run(requestId).changes,
    deleteContainer: (container) => deleteContainerStmt.run(container).changes,
    deleteSlot: (slotUuid) => deleteSlotStmt.run(slotUuid).changes,
    deleteRemoved: (containerId) => deleteRemovedStmt.run(containerId).changes,
    rename: (from, to) => renameStmt.run(to, from).changes,
  };
}

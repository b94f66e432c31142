// The reservations table and the allocation lock around it, in their own SQLite file
// <stateDir>/allocation.sqlite.
//
// The lock is SQLite's write lock: `BEGIN IMMEDIATE`. Every process that allocates (ds01 create,
// ds01 gpu allocate) re-reads the reservations and decides inside that one transaction, so two
// deciders never interleave; the kernel drops the lock when a holder dies, so a crash never blocks
// others. Waiting is a jittered exponential back-off (0.25 ms doubling to 8 ms: 100 waiters polling
// every millisecond would starve the holder of CPU on a small machine) with a deadline, after which
// the request FAILS (the original went on without its lock after 5 s). A server (the daemon's
// broker) waits with lockedAsync, between timers, so its event loop goes on serving; only a one-shot
// command, which has nothing else to serve, waits synchronously (locked).
//
// Why not a table in the audit store (ds01.sqlite): SQLite's write lock covers a whole file, and
// the audit store commits with synchronous=FULL (an fsync each, ~3 ms here) for its durability
// promise. With reservations there, 100 concurrent requests queue behind 100 fsyncs (~300 ms for
// the last). Here commits use synchronous=NORMAL in WAL mode (~0.2 ms): a process crash loses
// nothing committed; an OS crash may lose the newest reservations, which is harmless, since every
// process that held them died with it and created containers carry their slots in their labels.
import { existsSync } from "node:fs";
import { setTimeout as sleep } from "node:timers/promises";
import { join } from "node:path";
import Database from "better-sqlite3";
import { InvalidInputError, TransientError } from "../errors.js";
import type { Reservation, ReservationState } from "./reservation.js";
import { makeStateDir } from "../store/state-dir.js";
import { RESERVATION_MIGRATIONS } from "../store/migrations.js";
import { openDatabase, openDatabaseReadonly } from "../store/open-database.js";
import { isSqliteBusy } from "../store/store-error.js";

export interface ReservationStore {
  /**
   * Runs fn holding the allocation lock (one IMMEDIATE transaction): all of it commits or none.
   * Waits for the lock synchronously (one-shot commands); called inside a held lock, fn just runs
   * in it. TransientError ("allocation-lock") when the lock stays busy past the deadline.
   */
  locked<T>(fn: () => T): T;
  /** As locked, but waits for the lock between timers, so the caller's event loop goes on serving. */
  lockedAsync<T>(fn: () => T): Promise<T>;
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

/** selectAll's order (ORDER BY created_at, slot_uuid; slot ids are ASCII, so code-unit order is SQLite's byte order). */
function byCreatedThenSlot(a: Reservation, b: Reservation): number {
  return a.createdAt - b.createdAt || (a.slotUuid < b.slotUuid ? -1 : a.slotUuid > b.slotUuid ? 1 : 0);
}

export interface LockOptions {
  /** Give up (TransientError) after this long. Default 15 s. */
  timeoutMs?: number;
}

const FIRST_BACKOFF_MS = 0.25;
const MAX_BACKOFF_MS = 8;
const sleeper = new Int32Array(new SharedArrayBuffer(4));
/** A synchronous sleep: only for one-shot commands (lockedAsync never uses it). */
function sleepSync(ms: number): void {
  Atomics.wait(sleeper, 0, 0, ms);
}

export const RESERVATION_DB_FILE = "allocation.sqlite";
const SCHEMA_VERSION = RESERVATION_MIGRATIONS.length;

export interface ReservationDb {
  readonly path: string;
  readonly store: ReservationStore;
  close(): void;
}

/** Opens (creating: dir 0750, file 0640) <stateDir>/allocation.sqlite and brings its schema up to date. */
export function openReservationDb(stateDir: string, opts: LockOptions = {}): ReservationDb {
  makeStateDir(stateDir);
  const path = join(stateDir, RESERVATION_DB_FILE);
  // Opening waits longer than a request does: many processes may open (and set up) the file at once.
  const { db } = openDatabase(path, { migrations: RESERVATION_MIGRATIONS, busyTimeoutMs: 30_000, synchronous: "NORMAL", setupRetryMs: 30_000 });
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
    db.exec(RESERVATION_MIGRATIONS.map((m) => m.sql).join("\n"));
    return { path, store: reservationStore(db), close: () => db.close() };
  }
  const opened = openDatabaseReadonly(path, { busyTimeoutMs: 30_000, latest: SCHEMA_VERSION });
  if (opened.version < SCHEMA_VERSION) {
    opened.close();
    throw new InvalidInputError(`${path}: not set up yet (schema version ${opened.version}); run an allocation as root first`);
  }
  return { path, store: reservationStore(opened.db), close: opened.close };
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

  const lockBusy = () => new TransientError(`the GPU allocation lock stayed busy for ${timeoutMs} ms; nothing was allocated, try again`, "allocation-lock");
  // Prepared once: a broker decides hundreds of times a second.
  const begin = db.prepare("BEGIN IMMEDIATE");
  const commit = db.prepare("COMMIT");
  const rollback = db.prepare("ROLLBACK");
  // Not prepared: SQLite applies busy_timeout when the statement is prepared, not when it runs.
  const restoreBusyWait = `PRAGMA busy_timeout = ${Number(db.pragma("busy_timeout", { simple: true }))}`;
  const dataVersion = db.prepare("PRAGMA data_version").pluck();
  /**
   * The rows as last read inside the lock, and the data_version they were read at: SQLite changes
   * that number whenever another connection commits, so while it holds, holding the lock proves
   * the rows are still what is stored. This connection's own writes update or drop the copy.
   */
  let known: { version: unknown; rows: Reservation[] } | null = null;
  const forget = () => (known = null);
  /** One try at the lock without SQLite's own busy wait: true when taken, false when busy. */
  const tryBegin = (): boolean => {
    db.exec("PRAGMA busy_timeout = 0");
    try {
      begin.run();
      return true;
    } catch (e) {
      if (isSqliteBusy(e)) return false;
      throw e;
    } finally {
      db.exec(restoreBusyWait);
    }
  };
  /** fn inside the lock just taken: committed, or rolled back when it throws. */
  const runHeld = <T>(fn: () => T): T => {
    try {
      const result = fn();
      commit.run();
      return result;
    } catch (e) {
      forget(); // the copy may hold rows the rollback takes back
      if (db.inTransaction) rollback.run();
      throw e;
    }
  };
  /** A write's row count; any change but an insert (which updates the copy itself) drops the copy. */
  const changed = (n: number): number => {
    if (n > 0) forget();
    return n;
  };
  /** The back-off before each next try, until the deadline; null once it has passed. */
  const backoffs = function* (): Generator<number> {
    const deadline = Date.now() + timeoutMs;
    let backoff = FIRST_BACKOFF_MS;
    while (Date.now() < deadline) {
      yield Math.min(backoff * (0.5 + Math.random()), Math.max(0, deadline - Date.now()));
      backoff = Math.min(backoff * 2, MAX_BACKOFF_MS);
    }
  };

  return {
    locked<T>(fn: () => T): T {
      if (db.inTransaction) return fn(); // inside lockedAsync's (or an outer locked's) transaction
      if (!tryBegin()) {
        let taken = false;
        for (const ms of backoffs()) {
          sleepSync(ms);
          if ((taken = tryBegin())) break;
        }
        if (!taken) throw lockBusy();
      }
      return runHeld(fn);
    },
    async lockedAsync<T>(fn: () => T): Promise<T> {
      // Between the lock and fn's end nothing awaits: no other callback can use the connection
      // while its transaction is open.
      if (!db.inTransaction && tryBegin()) return runHeld(fn);
      for (const ms of backoffs()) {
        await sleep(ms);
        if (db.inTransaction) continue; // this connection's own transaction: wait for it to end
        if (tryBegin()) return runHeld(fn);
      }
      throw lockBusy();
    },
    all(): Reservation[] {
      // Outside a transaction another process may commit between any two reads: read afresh.
      if (!db.inTransaction) return (selectAll.all() as Row[]).map(fromRow);
      const version = dataVersion.get();
      if (known === null || known.version !== version) known = { version, rows: (selectAll.all() as Row[]).map((r) => Object.freeze(fromRow(r))) };
      return known.rows.slice();
    },
    forContainer: (container) => (selectContainer.all(container) as Row[]).map(fromRow),
    insert(rows) {
      for (const r of rows) insertRow.run(r);
      if (known && db.inTransaction) known.rows = [...known.rows, ...rows.map((r) => Object.freeze({ ...r }))].sort(byCreatedThenSlot);
      else forget();
    },
    deleteExpired: (now) => changed(deleteExpiredStmt.run(now).changes),
    confirm: (requestId, containerId, now, ttlMs) => changed(confirmStmt.run(containerId, now, now + ttlMs, requestId).changes),
    deleteRequest: (requestId) => changed(deleteRequestStmt.run(requestId).changes),
    deleteContainer: (container) => changed(deleteContainerStmt.run(container).changes),
    deleteSlot: (slotUuid) => changed(deleteSlotStmt.run(slotUuid).changes),
    deleteRemoved: (containerId) => changed(deleteRemovedStmt.run(containerId).changes),
    rename: (from, to) => changed(renameStmt.run(to, from).changes),
  };
}

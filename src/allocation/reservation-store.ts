// The reservations table (store migration 2) and the allocation lock around it.
//
// The lock is SQLite's own write lock: `BEGIN IMMEDIATE` on the store's database. Every process
// that allocates (ds01 create, ds01 gpu allocate, the daemon) re-reads the reservations and decides
// inside that one transaction, so two deciders never interleave; the kernel drops the lock when a
// holder dies, so a crash never blocks others. Waiting is a short, jittered retry loop (not
// SQLite's busy handler, whose back-off sleeps grow to 100 ms) with a deadline, after which the
// request FAILS (the original went on without its lock after 5 s: §9.2 #12).
import type Database from "better-sqlite3";
import { TransientError } from "../errors.js";
import type { Reservation, ReservationState } from "./reservation.js";

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
  /** Give up (TransientError) after this long. Default 5000 ms. */
  timeoutMs?: number;
}

const sleeper = new Int32Array(new SharedArrayBuffer(4));
function sleepMs(ms: number): void {
  Atomics.wait(sleeper, 0, 0, ms);
}

function isBusy(e: unknown): boolean {
  const code = (e as { code?: unknown } | null)?.code;
  return code === "SQLITE_BUSY" || code === "SQLITE_LOCKED";
}

/** Wraps the store's connection (which must have run migration 2). */
export function reservationStore(db: Database.Database, opts: LockOptions = {}): ReservationStore {
  const timeoutMs = opts.timeoutMs ?? 5000;
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
  const renameStmt = db.prepare("UPDATE reservations SET container = ? WHERE container = ? AND state = 'pending'");

  const begin = () => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      try {
        db.exec("BEGIN IMMEDIATE");
        return;
      } catch (e) {
        if (!isBusy(e)) throw e;
        if (Date.now() >= deadline) {
          throw new TransientError(`the GPU allocation lock stayed busy for ${timeoutMs} ms; nothing was allocated, try again`, "allocation-lock");
        }
        sleepMs(0.2 + Math.random() * 1.5);
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
    rename: (from, to) => renameStmt.run(to, from).changes,
  };
}

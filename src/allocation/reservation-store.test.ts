import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { afterEach, describe, expect, it } from "vitest";
import { TransientError } from "../errors.js";
import { RESERVATION_MIGRATIONS } from "../store/migrations.js";
import { openReservationDb, RESERVATION_DB_FILE, type ReservationDb } from "./reservation-store.js";
import type { Reservation } from "./reservation.js";

const dirs: string[] = [];
const opened: ReservationDb[] = [];
afterEach(() => {
  opened.splice(0).forEach((d) => d.close());
  dirs.splice(0).forEach((d) => rmSync(d, { recursive: true, force: true }));
});

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), "ds01-reservations-"));
  dirs.push(dir);
  return dir;
}

function open(dir: string, timeoutMs?: number): ReservationDb {
  const db = openReservationDb(dir, timeoutMs === undefined ? {} : { timeoutMs });
  opened.push(db);
  return db;
}

const row: Reservation = {
  slotUuid: "GPU-0",
  user: "alice",
  container: "c1",
  weight: 1,
  requestId: "r1",
  state: "pending",
  containerId: null,
  createdAt: 1,
  confirmedAt: null,
  expiresAt: Number.MAX_SAFE_INTEGER,
};

// The allocation database's first format, as ds01 wrote it before its schema joined the store's
// migrations: the table set up by hand, user_version 1.
const FIRST_FORMAT = `
  CREATE TABLE IF NOT EXISTS reservations (
    slot_uuid TEXT PRIMARY KEY, user TEXT NOT NULL, container TEXT NOT NULL, weight REAL NOT NULL,
    request_id TEXT NOT NULL, state TEXT NOT NULL CHECK (state IN ('pending', 'confirmed')),
    container_id TEXT, created_at INTEGER NOT NULL, confirmed_at INTEGER, expires_at INTEGER NOT NULL
  );
  CREATE INDEX IF NOT EXISTS reservations_container ON reservations (container);
  CREATE INDEX IF NOT EXISTS reservations_expires_at ON reservations (expires_at);
`;

describe("the reservation database", () => {
  it("is created at the latest schema by the store's migrations", () => {
    const dir = tempDir();
    open(dir).close();
    const raw = new Database(join(dir, RESERVATION_DB_FILE), { readonly: true });
    try {
      expect(raw.pragma("user_version", { simple: true })).toBe(RESERVATION_MIGRATIONS.length);
      expect(raw.pragma("journal_mode", { simple: true })).toBe("wal");
    } finally {
      raw.close();
    }
  });

  it("adopts a database of the first format with its reservations", () => {
    const dir = tempDir();
    const raw = new Database(join(dir, RESERVATION_DB_FILE));
    raw.pragma("journal_mode = WAL");
    raw.exec(FIRST_FORMAT);
    raw.pragma("user_version = 1");
    raw
      .prepare("INSERT INTO reservations VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")
      .run(row.slotUuid, row.user, row.container, row.weight, row.requestId, row.state, null, row.createdAt, null, row.expiresAt);
    raw.close();
    const db = open(dir);
    expect(db.store.all()).toEqual([row]);
    db.store.locked(() => db.store.insert([{ ...row, slotUuid: "GPU-1", requestId: "r2" }]));
    expect(db.store.forContainer("c1").map((r) => r.slotUuid)).toEqual(["GPU-0", "GPU-1"]);
  });

  it("refuses one from a newer ds01, naming the file", () => {
    const dir = tempDir();
    open(dir).close();
    const raw = new Database(join(dir, RESERVATION_DB_FILE));
    raw.pragma(`user_version = ${RESERVATION_MIGRATIONS.length + 1}`);
    raw.close();
    expect(() => openReservationDb(dir)).toThrow(new RegExp(`${RESERVATION_DB_FILE}: database schema version ${RESERVATION_MIGRATIONS.length + 1} is newer`));
  });
});

describe("the allocation lock", () => {
  it("lockedAsync waits for a lock held elsewhere without blocking the event loop, then decides", async () => {
    const dir = tempDir();
    const db = open(dir, 10_000);
    const holder = new Database(join(dir, RESERVATION_DB_FILE));
    try {
      holder.exec("BEGIN IMMEDIATE");
      const decided = db.store.lockedAsync(() => {
        db.store.insert([row]);
        return "decided";
      });
      // The loop still runs timers while the lock is held: release it from one.
      await new Promise((r) => setTimeout(r, 20));
      holder.exec("ROLLBACK");
      expect(await decided).toBe("decided");
      expect(db.store.all()).toEqual([row]);
    } finally {
      holder.close();
    }
  });

  it("lockedAsync fails with the lock's TransientError past its deadline, and writes nothing", async () => {
    const dir = tempDir();
    const db = open(dir, 100);
    const holder = new Database(join(dir, RESERVATION_DB_FILE));
    try {
      holder.exec("BEGIN IMMEDIATE");
      const e = await db.store.lockedAsync(() => db.store.insert([row])).catch((x: unknown) => x);
      expect(e).toBeInstanceOf(TransientError);
      expect((e as TransientError).source).toBe("allocation-lock");
      holder.exec("ROLLBACK");
      expect(db.store.all()).toEqual([]);
    } finally {
      holder.close();
    }
  });

  it("locked inside lockedAsync runs in the same transaction: a throw rolls back all of it", async () => {
    const db = open(tempDir());
    await expect(
      db.store.lockedAsync(() => {
        db.store.insert([row]);
        return db.store.locked(() => {
          throw new Error("decision failed");
        });
      }),
    ).rejects.toThrow("decision failed");
    expect(db.store.all()).toEqual([]);
    expect(db.store.locked(() => db.store.all())).toEqual([]);
  });
});

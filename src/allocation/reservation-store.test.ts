import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { afterEach, describe, expect, it } from "vitest";
import { TransientError } from "../errors.js";
import { RESERVATION_MIGRATIONS } from "../store/migrations.js";
import { openReservationDb, RESERVATION_DB_FILE, reservationStore, type ReservationDb, type ReservationStore } from "./reservation-store.js";
import type { Reservation } from "./reservation.js";

const SELECT_AS_RESERVATIONS =
  "SELECT slot_uuid AS slotUuid, user, container, weight, request_id AS requestId, state, container_id AS containerId, " +
  "created_at AS createdAt, confirmed_at AS confirmedAt, expires_at AS expiresAt FROM reservations ORDER BY created_at, slot_uuid";

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

describe("the rows read inside the lock", () => {
  // all() inside the lock answers from the rows it last read while no other connection committed
  // since (SQLite's data_version). Whatever happens — this connection's writes, another process's
  // commits, rollbacks — it must answer exactly what a fresh SELECT on the same connection would.
  it("are always what is stored: random writes from two connections, commits and rollbacks (seeded)", () => {
    const dir = tempDir();
    open(dir); // creates the schema
    const connections = [0, 1].map(() => new Database(join(dir, RESERVATION_DB_FILE)));
    const stores = connections.map((db) => reservationStore(db));
    const select = connections.map((db) => db.prepare(SELECT_AS_RESERVATIONS));
    let seed = 7;
    const rnd = (n: number) => Math.floor(((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31) * n);
    let next = 0;
    const fresh = (): Reservation => ({ ...row, slotUuid: `GPU-${rnd(12)}-${next++}`, container: `c${rnd(5)}`, requestId: `r${rnd(6)}`, createdAt: rnd(4), expiresAt: 10 + rnd(20) });
    const write = (s: ReservationStore): void => {
      const all = s.all();
      const pick = all[rnd(Math.max(1, all.length))];
      const op = rnd(9);
      if (op <= 1) s.insert(Array.from({ length: 1 + rnd(2) }, fresh));
      else if (op === 2) s.deleteExpired(10 + rnd(20));
      else if (op === 3) s.rename(`c${rnd(5)}`, `c${rnd(5)}`);
      else if (op === 4) s.deleteRemoved(`id-${rnd(3)}`);
      else if (pick === undefined) return;
      else if (op === 5) s.confirm(pick.requestId, `id-${rnd(3)}`, 5, rnd(30));
      else if (op === 6) s.deleteRequest(pick.requestId);
      else if (op === 7) s.deleteSlot(pick.slotUuid);
      else s.deleteContainer(pick.container);
    };
    let rollbacks = 0;
    let checks = 0;
    try {
      for (let i = 0; i < 600; i++) {
        const w = rnd(3) === 0 ? 1 : 0;
        try {
          stores[w]!.locked(() => {
            for (let k = 0, n = 1 + rnd(4); k < n; k++) {
              write(stores[w]!);
              expect(stores[w]!.all()).toEqual(select[w]!.all());
              checks++;
            }
            if (rnd(6) === 0) throw new Error("rolled back");
          });
        } catch (e) {
          if ((e as Error).message !== "rolled back") throw e;
          rollbacks++;
        }
        for (const c of [0, 1]) expect(stores[c]!.locked(() => stores[c]!.all())).toEqual(select[c]!.all());
      }
      expect(rollbacks).toBeGreaterThan(20);
      expect(checks).toBeGreaterThan(1000);
      expect(select[0]!.all().length).toBeGreaterThan(0);
    } finally {
      connections.forEach((db) => db.close());
    }
  });

  it("cannot be changed by a caller: they are frozen copies", () => {
    const db = open(tempDir());
    db.store.locked(() => db.store.insert([row]));
    const seen = db.store.locked(() => db.store.all());
    expect(() => ((seen[0] as { user: string }).user = "mallory")).toThrow(TypeError);
    seen.pop();
    expect(db.store.locked(() => db.store.all())).toEqual([row]);
  });
});

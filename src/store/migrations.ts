// The schema of each database ds01 owns, as an ordered list of migrations: MIGRATIONS for the audit
// store (ds01.sqlite), RESERVATION_MIGRATIONS for the allocation database (allocation.sqlite).
// `PRAGMA user_version` holds the number of migrations applied; openDatabase() applies the missing
// ones, in order, in one transaction (migrate() below).
//
// To change a schema, APPEND a migration at the end of its list:
//   { id: 2, name: "reservations", sql: `CREATE TABLE reservations (...); CREATE INDEX ...;` },
// - ids are 1, 2, 3, ... with no gaps (the id is the user_version the database has once it's applied);
// - never edit or reorder a migration that has shipped: databases in the field already ran it;
// - the SQL runs inside the opening transaction, so it must not contain BEGIN/COMMIT or VACUUM;
// - an older ds01 refuses a database whose user_version is above its last id (no silent downgrade).

import type Database from "better-sqlite3";
import { InvalidInputError } from "../errors.js";

export interface Migration {
  readonly id: number;
  readonly name: string;
  readonly sql: string;
}

export const MIGRATIONS: readonly Migration[] = [
  {
    id: 1,
    name: "events, container records, gpu samples, meta",
    sql: `
      CREATE TABLE events (
        id           INTEGER PRIMARY KEY,
        time         INTEGER NOT NULL,          -- epoch ms
        type         TEXT    NOT NULL,          -- dotted category.action (constants/event-types.ts)
        user         TEXT,
        container    TEXT,                      -- container name at the time
        container_id TEXT,
        details      TEXT    NOT NULL DEFAULT '{}'  -- JSON object
      );
      CREATE INDEX events_time ON events (time);
      CREATE INDEX events_type ON events (type);
      CREATE INDEX events_user ON events (user);
      CREATE INDEX events_container_id ON events (container_id);

      CREATE TABLE container_records (
        container_id TEXT PRIMARY KEY,
        record       TEXT    NOT NULL,          -- JSON of model/record.ts ContainerRecord
        updated_at   INTEGER NOT NULL           -- epoch ms
      );

      CREATE TABLE gpu_samples (
        gpu_uuid TEXT    NOT NULL,
        at       INTEGER NOT NULL,              -- epoch ms
        util_pct REAL                           -- NULL = unknown, never 0
      );
      CREATE INDEX gpu_samples_uuid_at ON gpu_samples (gpu_uuid, at);

      CREATE TABLE meta (
        key   TEXT PRIMARY KEY,
        value TEXT NOT NULL
      );
    `,
  },
  {
    id: 2,
    name: "gate ownership records",
    sql: `
      -- Who created each object through the gate (uid from the kernel, not from labels).
      CREATE TABLE gate_owners (
        kind       TEXT    NOT NULL,            -- container | volume | network
        id         TEXT    NOT NULL,            -- full container/network id, volume name
        uid        INTEGER NOT NULL,
        user       TEXT    NOT NULL,
        admin      INTEGER NOT NULL,            -- 1 when an admin created it (its labels are trusted)
        created_at INTEGER NOT NULL,            -- epoch ms
        PRIMARY KEY (kind, id)
      );
    `,
  },
  {
    id: 3,
    name: "intents of destructive actions",
    sql: `
      -- Written before a stop, remove or kill starts and closed with its outcome (in the same
      -- transaction as the outcome's audit event). One still open at start is reconciled against
      -- the engine (src/actions/reconcile.ts).
      CREATE TABLE intents (
        id           INTEGER PRIMARY KEY,
        kind         TEXT    NOT NULL,          -- stop | remove | kill_process
        container_id TEXT,
        pid          INTEGER,
        action       TEXT    NOT NULL,          -- JSON of the planned action (audit fields)
        started_at   INTEGER NOT NULL,          -- epoch ms
        deadline_at  INTEGER NOT NULL,          -- epoch ms: by then the action has finished or failed
        owner_pid    INTEGER NOT NULL,          -- the process that started it
        abandoned_at INTEGER,                   -- shutdown gave up waiting for it (still to reconcile)
        outcome      TEXT,                      -- NULL while open: done | failed | reconciled_done | reconciled_not_done
        closed_at    INTEGER
      );
      CREATE INDEX intents_open ON intents (closed_at);
    `,
  },
];

/** The schema version this code writes and understands. */
export const SCHEMA_VERSION: number = MIGRATIONS.length;

export const RESERVATION_MIGRATIONS: readonly Migration[] = [
  {
    id: 1,
    name: "reservations",
    // IF NOT EXISTS: the allocation database's first format wrote this table at user_version 1
    // itself; a file from then is at version 1 already and is adopted as it is.
    sql: `
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
    `,
  },
];

/** The migrations a database at `version` still needs, checked for a gap-free list. */
export function pendingMigrations(version: number, list: readonly Migration[] = MIGRATIONS): Migration[] {
  list.forEach((m, i) => {
    if (m.id !== i + 1) throw new Error(`bug: migration #${i} has id ${m.id}, expected ${i + 1}`);
  });
  return list.filter((m) => m.id > version);
}

export function userVersion(db: Database.Database): number {
  return Number(db.pragma("user_version", { simple: true }));
}

export function newerSchemaMessage(version: number, latest: number): string {
  return `database schema version ${version} is newer than this ds01 understands (${latest}); upgrade ds01 or use another --state-dir`;
}

/**
 * Applies the pending migrations in one IMMEDIATE transaction; returns the resulting version. A
 * database already at the latest version is only read (no write lock taken); one above it is
 * refused (InvalidInputError), never silently downgraded.
 */
export function migrate(db: Database.Database, migrations: readonly Migration[]): number {
  const before = userVersion(db);
  if (before === migrations.length) return before;
  return db
    .transaction(() => {
      const version = userVersion(db);
      if (version > migrations.length) throw new InvalidInputError(newerSchemaMessage(version, migrations.length));
      const pending = pendingMigrations(version, migrations);
      for (const m of pending) db.exec(m.sql);
      const last = pending.at(-1);
      if (last) db.pragma(`user_version = ${last.id}`);
      return last ? last.id : version;
    })
    .immediate();
}

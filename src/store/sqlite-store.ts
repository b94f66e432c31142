// The embedded SQLite store: audit events, per-container records, GPU samples and a meta table,
// in <stateDir>/ds01.sqlite. One writer (daemon or `ds01 check`) and any number of readers at once:
// WAL mode lets readers see the last committed state while the writer writes.
//
// synchronous=FULL: in WAL mode each commit then fsyncs the WAL, so an event is on disk when
// append()/commit() returns, even across a power cut (EventStore's contract: no
// committed audit record is lost). NORMAL would only survive process crashes. ds01 commits a few
// times per pass, so the cost of one fsync per commit is negligible.
import { existsSync } from "node:fs";
import { join } from "node:path";
import type Database from "better-sqlite3";
import { InvalidInputError } from "../errors.js";
import type { AuditEvent, AuditEventFilter } from "../model/audit-event.js";
import type { EventStore, RecordStore } from "../model/ports.js";
import type { ContainerRecord } from "../model/record.js";
import { systemClock, type Clock } from "../util/clock.js";
import { HOUR_MS } from "../util/duration.js";
import { eventFromRow, eventParams, eventQuery, type EventRow } from "./event-query.js";
import { mirrorEvents, type JsonlSink, type MirrorErrorHandler } from "./jsonl-sink.js";
import { MIGRATIONS, type Migration } from "./migrations.js";
import { WalSync } from "./wal-sync.js";
import { decodeRecord, encodeRecord } from "./record-codec.js";
import { makeStateDir } from "./state-dir.js";
import { openDatabase, openDatabaseReadonly } from "./open-database.js";
import { gateOwnerTable, type GateOwnerTable } from "./gate-owner-table.js";
import { intentTable, type IntentTable } from "./intent-table.js";

export const STORE_FILE = "ds01.sqlite";

export interface GpuSample {
  at: number;
  utilPct: number | null;
}

export interface Store extends EventStore, RecordStore {
  /** Absolute or given path of the database file. */
  readonly path: string;
  readonly readonly: boolean;
  /** The database's user_version after open (== SCHEMA_VERSION for a writable store). */
  readonly schemaVersion: number;
  /** The gate's ownership records. */
  readonly gateOwners: GateOwnerTable;
  /** Intents of destructive actions. */
  readonly intents: IntentTable;
  /** Keeps a bounded window per GPU: samples older than the window before `at` are pruned. */
  recordGpuSample(gpuUuid: string, at: number, utilPct: number | null): void;
  /** Samples with at >= since, oldest first. */
  gpuSamplesSince(gpuUuid: string, since: number): GpuSample[];
  readonly meta: { get(key: string): string | null; set(key: string, value: string): void };
  /** Runs fn in one write transaction (BEGIN IMMEDIATE): all of it is committed or none. */
  transaction<T>(fn: () => T): T;
  /** Resolves once every commit made so far is on disk (only backgroundSync has any to wait for). */
  synced(): Promise<void>;
  close(): void;
}

export interface OpenStoreOptions {
  /** Open for reading only: no directory or file is created and no migration runs. */
  readonly?: boolean;
  /** Source of updated_at for records. */
  clock?: Clock;
  /** Every event appended or committed is also written here, after SQLite has it. */
  mirror?: JsonlSink;
  /** Where mirror failures go (the event is already stored). */
  onMirrorError?: MirrorErrorHandler;
  /** How long GPU samples are kept per GPU. Default 1 h. */
  gpuSampleWindowMs?: number;
  /** How long a statement waits for another connection's lock. Default 5000 ms. */
  busyTimeoutMs?: number;
  /** For tests of future migrations only. */
  migrations?: readonly Migration[];
  /**
   * Check every page at open (PRAGMA quick_check; default true). It reads the whole file (about
   * 130 ms for a 50 MB store here); only a hot path that opens the store per request turns it off.
   */
  checkIntegrity?: boolean;
  /**
   * Commits are synced to disk just after they return, off the caller's path (wal-sync.ts),
   * instead of inside them: for the gate, whose commits sit on clients' answers. Safe against a
   * crash of the process at once; a power cut may lose the last milliseconds. Failures go to onError.
   */
  backgroundSync?: { onError(e: unknown): void; /** Tests: how the log file is synced. */ syncFile?: (path: string) => Promise<void> };
}

/**
 * Opens (creating when needed, mode 0750 for the directory, 0640 for the file) the store in
 * `stateDir`, and brings its schema up to date. A database written by a newer ds01 is refused with
 * an InvalidInputError naming the file, as are a file that is not an SQLite database, a 0-byte file
 * and a database whose integrity check at open finds a damaged page. Read-only, a store in a
 * directory this process cannot write (a read-only mount) is read from a snapshot.
 */
export function openStore(stateDir: string, opts: OpenStoreOptions = {}): Store {
  const path = join(stateDir, STORE_FILE);
  const migrations = opts.migrations ?? MIGRATIONS;
  const busyTimeoutMs = opts.busyTimeoutMs ?? 5000;
  if (opts.readonly ?? false) {
    if (!existsSync(path)) throw new InvalidInputError(`${path}: no ds01 store here`);
    const opened = openDatabaseReadonly(path, { busyTimeoutMs, latest: migrations.length, ...(opts.checkIntegrity === undefined ? {} : { checkIntegrity: opts.checkIntegrity }) });
    return new SqliteStore(opened.db, path, true, opened.version, opts, opened.close);
  }
  makeStateDir(stateDir);
  const synchronous = opts.backgroundSync ? "NORMAL" : "FULL";
  const { db, version } = openDatabase(path, { migrations, busyTimeoutMs, synchronous, ...(opts.checkIntegrity === undefined ? {} : { checkIntegrity: opts.checkIntegrity }) });
  return new SqliteStore(db, path, false, version, opts);
}

// The connection behind each store, for tests that inspect or damage the file (connectionForTests).
const connections = new WeakMap<Store, Database.Database>();

/** Tests only: the store's SQLite connection. Production code uses the store's methods. */
export function connectionForTests(store: Store): Database.Database {
  const db = connections.get(store);
  if (!db) throw new Error("bug: not a store opened by openStore");
  return db;
}

class SqliteStore implements Store {
  private readonly statements = new Map<string, Database.Statement>();
  private readonly clock: Clock;
  private readonly windowMs: number;
  private closed = false;
  /** Syncs the log after each commit (backgroundSync); null: each commit syncs itself (FULL). */
  private readonly walSync: WalSync | null;

  private ownersTable: GateOwnerTable | null = null;
  private intentsTable: IntentTable | null = null;

  constructor(
    private readonly db: Database.Database,
    readonly path: string,
    readonly readonly: boolean,
    readonly schemaVersion: number,
    private readonly opts: OpenStoreOptions,
    private readonly closeDb: () => void = () => db.close(),
  ) {
    this.clock = opts.clock ?? systemClock;
    this.windowMs = opts.gpuSampleWindowMs ?? HOUR_MS;
    this.walSync = opts.backgroundSync && !readonly ? new WalSync(`${path}-wal`, opts.backgroundSync.onError, opts.backgroundSync.syncFile) : null;
    connections.set(this, db);
  }

  get gateOwners(): GateOwnerTable {
    return (this.ownersTable ??= gateOwnerTable(this.db, () => this.wrote()));
  }

  get intents(): IntentTable {
    return (this.intentsTable ??= intentTable(this.db, () => this.wrote()));
  }

  /** A write returned: outside a transaction it is a commit, which backgroundSync syncs soon. */
  private wrote(): void {
    if (this.walSync && !this.db.inTransaction) this.walSync.soon();
  }

  /** Resolves once every commit made so far is on disk (backgroundSync; at once otherwise). */
  synced(): Promise<void> {
    return this.walSync?.flushed() ?? Promise.resolve();
  }

  private stmt(sql: string): Database.Statement {
    let s = this.statements.get(sql);
    if (!s) {
      s = this.db.prepare(sql);
      this.statements.set(sql, s);
    }
    return s;
  }

  /** A read-only open of a database that was never migrated has no tables yet: it reads as empty. */
  private get empty(): boolean {
    return this.schemaVersion === 0;
  }

  // ---- EventStore ----
  append(event: AuditEvent): void {
    this.insertEvent(event);
    this.wrote();
    this.mirror([event]);
  }

  query(filter: AuditEventFilter): AuditEvent[] {
    if (this.empty) return [];
    const q = eventQuery(filter);
    return (this.stmt(q.sql).all(...q.params) as EventRow[]).map(eventFromRow);
  }

  private insertEvent(e: AuditEvent): void {
    this.stmt("INSERT INTO events (time, type, user, container, container_id, details) VALUES (?, ?, ?, ?, ?, ?)").run(...eventParams(e));
  }

  private mirror(events: readonly AuditEvent[]): void {
    if (this.opts.mirror && events.length > 0) mirrorEvents(this.opts.mirror, events, this.opts.onMirrorError ?? (() => {}));
  }

  // ---- RecordStore ----
  get(containerId: string): ContainerRecord | null {
    if (this.empty) return null;
    const row = this.stmt("SELECT record FROM container_records WHERE container_id = ?").get(containerId) as { record: string } | undefined;
    return row ? decodeRecord(row.record) : null;
  }

  all(): ContainerRecord[] {
    if (this.empty) return [];
    const rows = this.stmt("SELECT record FROM container_records ORDER BY container_id").all() as { record: string }[];
    return rows.map((r) => decodeRecord(r.record)).filter((r): r is ContainerRecord => r !== null);
  }

  put(record: ContainerRecord): void {
    if (!record.containerId) throw new Error("bug: container record without a container id");
    this.stmt(
      "INSERT INTO container_records (container_id, record, updated_at) VALUES (?, ?, ?) " +
        "ON CONFLICT (container_id) DO UPDATE SET record = excluded.record, updated_at = excluded.updated_at",
    ).run(record.containerId, encodeRecord(record), this.clock.now());
    this.wrote();
  }

  delete(containerId: string): void {
    this.stmt("DELETE FROM container_records WHERE container_id = ?").run(containerId);
    this.wrote();
  }

  commit(records: readonly ContainerRecord[], events: readonly AuditEvent[]): void {
    this.transaction(() => {
      for (const r of records) this.put(r);
      for (const e of events) this.insertEvent(e);
    });
    this.mirror(events);
  }

  transaction<T>(fn: () => T): T {
    const out = this.db.transaction(fn).immediate();
    this.wrote();
    return out;
  }

  // ---- GPU samples ----
  recordGpuSample(gpuUuid: string, at: number, utilPct: number | null): void {
    const util = utilPct !== null && Number.isFinite(utilPct) ? utilPct : null;
    this.transaction(() => {
      this.stmt("INSERT INTO gpu_samples (gpu_uuid, at, util_pct) VALUES (?, ?, ?)").run(gpuUuid, at, util);
      this.stmt("DELETE FROM gpu_samples WHERE gpu_uuid = ? AND at < ?").run(gpuUuid, at - this.windowMs);
    });
  }

  gpuSamplesSince(gpuUuid: string, since: number): GpuSample[] {
    if (this.empty) return [];
    const rows = this.stmt("SELECT at, util_pct FROM gpu_samples WHERE gpu_uuid = ? AND at >= ? ORDER BY at, rowid").all(gpuUuid, since) as {
      at: number;
      util_pct: number | null;
    }[];
    return rows.map((r) => ({ at: r.at, utilPct: r.util_pct }));
  }

  // ---- meta ----
  readonly meta = {
    get: (key: string): string | null => {
      if (this.empty) return null;
      const row = this.stmt("SELECT value FROM meta WHERE key = ?").get(key) as { value: string } | undefined;
      return row ? row.value : null;
    },
    set: (key: string, value: string): void => {
      this.stmt("INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value").run(key, value);
      this.wrote();
    },
  };

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.statements.clear();
    this.closeDb();
  }
}

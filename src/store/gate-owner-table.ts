// The gate's ownership records (table gate_owners, migration 2): who created each object through
// the gate. The store owns the SQL; src/gate/ownership.ts keeps the in-memory mirror.
import type Database from "better-sqlite3";

export interface GateOwnerRow {
  kind: string;
  id: string;
  uid: number;
  user: string;
  admin: boolean;
  createdAt: number;
}

export interface GateOwnerTable {
  /** Every record; none for a read-only store from before the gate. */
  all(): GateOwnerRow[];
  put(r: GateOwnerRow): void;
  forget(kind: string, id: string): void;
  /** The creator of a container, for identity; null when the gate did not create it. */
  containerOwner(id: string): { user: string; admin: boolean } | null;
}

interface Row {
  kind: string;
  id: string;
  uid: number;
  user: string;
  admin: number;
  created_at: number;
}

/** `wrote`: called after each write (a commit, outside a transaction). */
export function gateOwnerTable(db: Database.Database, wrote: () => void = () => undefined): GateOwnerTable {
  // A read-only store from before the gate has no such table: it reads as no records.
  const has = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'gate_owners'").get() !== undefined;
  if (!has) {
    const readonly = () => {
      throw new Error("bug: gate ownership written to a store without the gate_owners table");
    };
    return { all: () => [], put: readonly, forget: readonly, containerOwner: () => null };
  }
  const select = db.prepare("SELECT kind, id, uid, user, admin, created_at FROM gate_owners");
  const selectContainer = db.prepare("SELECT user, admin FROM gate_owners WHERE kind = 'container' AND id = ?");
  let insert: Database.Statement | null = null;
  let remove: Database.Statement | null = null;
  return {
    all: () => (select.all() as Row[]).map((r) => ({ kind: r.kind, id: r.id, uid: r.uid, user: r.user, admin: r.admin === 1, createdAt: r.created_at })),
    put(r) {
      insert ??= db.prepare(
        "INSERT INTO gate_owners (kind, id, uid, user, admin, created_at) VALUES (?, ?, ?, ?, ?, ?) " +
          "ON CONFLICT (kind, id) DO UPDATE SET uid = excluded.uid, user = excluded.user, admin = excluded.admin, created_at = excluded.created_at",
      );
      insert.run(r.kind, r.id, r.uid, r.user, r.admin ? 1 : 0, r.createdAt);
      wrote();
    },
    forget(kind, id) {
      remove ??= db.prepare("DELETE FROM gate_owners WHERE kind = ? AND id = ?");
      remove.run(kind, id);
      wrote();
    },
    containerOwner(id) {
      const row = selectContainer.get(id) as { user: string; admin: number } | undefined;
      return row ? { user: row.user, admin: row.admin === 1 } : null;
    },
  };
}

// The gate's record of who created what. A non-admin's container, volume or network is theirs
// because the kernel said who connected when it was created, not because of a label: labels are
// what the caller wrote. Kept in the store (table gate_owners) and mirrored in memory, since the
// gate is the only writer and listings/events consult it for every row.
import type Database from "better-sqlite3";

export type OwnedKind = "container" | "volume" | "network";

export interface OwnerRecord {
  kind: OwnedKind;
  id: string;
  uid: number;
  user: string;
  admin: boolean;
  createdAt: number;
}

export interface OwnershipReader {
  get(kind: OwnedKind, id: string): OwnerRecord | null;
}

interface Row {
  kind: OwnedKind;
  id: string;
  uid: number;
  user: string;
  admin: number;
  created_at: number;
}

const fromRow = (r: Row): OwnerRecord => ({ kind: r.kind, id: r.id, uid: r.uid, user: r.user, admin: r.admin === 1, createdAt: r.created_at });

/** Reads every record (for the daemon's identity view and the gate's start). */
export function readOwnerRecords(db: Database.Database): OwnerRecord[] {
  const has = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'gate_owners'").get();
  if (!has) return [];
  return (db.prepare("SELECT kind, id, uid, user, admin, created_at FROM gate_owners").all() as Row[]).map(fromRow);
}

export class OwnershipStore implements OwnershipReader {
  private readonly mem = new Map<string, OwnerRecord>();
  private readonly insert: Database.Statement;
  private readonly remove: Database.Statement;

  constructor(private readonly db: Database.Database) {
    for (const r of readOwnerRecords(db)) this.mem.set(`${r.kind}:${r.id}`, r);
    this.insert = db.prepare(
      "INSERT INTO gate_owners (kind, id, uid, user, admin, created_at) VALUES (?, ?, ?, ?, ?, ?) " +
        "ON CONFLICT (kind, id) DO UPDATE SET uid = excluded.uid, user = excluded.user, admin = excluded.admin, created_at = excluded.created_at",
    );
    this.remove = db.prepare("DELETE FROM gate_owners WHERE kind = ? AND id = ?");
  }

  get(kind: OwnedKind, id: string): OwnerRecord | null {
    return this.mem.get(`${kind}:${id}`) ?? null;
  }

  put(r: OwnerRecord): void {
    this.insert.run(r.kind, r.id, r.uid, r.user, r.admin ? 1 : 0, r.createdAt);
    this.mem.set(`${r.kind}:${r.id}`, r);
  }

  forget(kind: OwnedKind, id: string): void {
    this.remove.run(kind, id);
    this.mem.delete(`${kind}:${id}`);
  }

  get size(): number {
    return this.mem.size;
  }
}

/** A lookup of container records for identity (the daemon and passes read what the gate wrote). */
export function containerRecordLookup(db: Database.Database): (containerId: string) => { user: string; admin: boolean } | null {
  const has = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'gate_owners'").get();
  if (!has) return () => null; // a read-only store from before the gate
  const stmt = db.prepare("SELECT user, admin FROM gate_owners WHERE kind = 'container' AND id = ?");
  return (id) => {
    const row = stmt.get(id) as { user: string; admin: number } | undefined;
    return row ? { user: row.user, admin: row.admin === 1 } : null;
  };
}
